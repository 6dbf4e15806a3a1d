/** How a read may be answered. */
export interface ReadOptions {
  /**
   * Ask the engine now, not an answer the service still holds (HTTP `Cache-Control: no-cache`). Held answers are
   * dropped at every change the service sees, so this is for a caller that must see a change made by another
   * engine client at the very moment it was made.
   */
  fresh?: boolean;
}
