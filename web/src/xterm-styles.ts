/**
 * xterm.js (its DOM renderer and viewport) writes its theme colours, font and cell sizes into <style> elements it
 * creates at run time. This page's CSP (`style-src 'self'`, no 'unsafe-inline') refuses every inline <style>, so
 * the terminal would lose its colours and cursor. Instead of relaxing the policy, `document.createElement('style')`
 * hands out a stand-in element whose text goes into a constructed style sheet (`document.adoptedStyleSheets`):
 * that is the CSSOM, which the CSP does not govern (like the `element.style` xterm.js also sets). The sheet applies
 * while the stand-in is in the document, exactly like the <style> it replaces. Only code that creates <style>
 * elements is affected, and on this page such code would be refused by the CSP anyway.
 */
const TAG = 'dockhand-inline-style';

class InlineStyle extends HTMLElement {
  private readonly sheet = new CSSStyleSheet();
  private text = '';

  connectedCallback(): void {
    this.hidden = true;
    if (!document.adoptedStyleSheets.includes(this.sheet)) document.adoptedStyleSheets = [...document.adoptedStyleSheets, this.sheet];
  }

  disconnectedCallback(): void {
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== this.sheet);
  }

  // The element itself stays empty: the text lives only in the constructed sheet.
  override get textContent(): string {
    return this.text;
  }

  override set textContent(css: string | null) {
    this.text = css ?? '';
    this.sheet.replaceSync(this.text);
  }
}

let installed = false;

/** Call before the first terminal opens; idempotent. */
export function routeInlineStylesToConstructedSheets(): void {
  if (installed) return;
  installed = true;
  customElements.define(TAG, InlineStyle);
  const create = document.createElement.bind(document);
  document.createElement = (tagName: string, options?: ElementCreationOptions) =>
    tagName.toLowerCase() === 'style' ? create(TAG) : create(tagName, options);
}
