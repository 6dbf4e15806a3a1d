import { parseCmd, parsePairs, parsePorts, RunFormError, runRequest } from '../../../web/src/run-spec';

describe('the console run form', () => {
  test.each([
    ['8080:80', [{ hostPort: 8080, containerPort: 80 }]],
    ['80', [{ containerPort: 80 }]],
    [
      '53:53/udp, 9000:90',
      [
        { hostPort: 53, containerPort: 53, protocol: 'udp' },
        { hostPort: 9000, containerPort: 90 },
      ],
    ],
    ['  ', []],
  ])('when ports read %j, then they become %j', (text, expected) => {
    expect(parsePorts(text)).toEqual(expected);
  });

  test.each(['80:', 'http', '70000:80', '8080:0', '1:2/icmp'])('when a port reads %j, then it is refused with the item named', (text) => {
    expect(() => parsePorts(text)).toThrow(RunFormError);
    expect(() => parsePorts(text)).toThrow(/ports:/);
  });

  test('when env lines are given, then blank lines and comments are skipped and values keep their = signs', () => {
    expect(parsePairs('A=1\n\n# note\nB = x=y \n', 'env')).toEqual({ A: '1', B: ' x=y ' });
    expect(() => parsePairs('NOVALUE', 'env')).toThrow('env: "NOVALUE" is not NAME=value');
  });

  test.each([
    ['sleep 30', ['sleep', '30']],
    [`sh -c "echo 'hi there'; sleep 1"`, ['sh', '-c', "echo 'hi there'; sleep 1"]],
    [`echo ''`, ['echo', '']],
    ['["sh","-c","a b"]', ['sh', '-c', 'a b']],
    ['', undefined],
  ])('when the command reads %j, then it is split into %j', (text, expected) => {
    expect(parseCmd(text)).toEqual(expected);
  });

  test.each(['echo "open', '[1,2]', '[not json'])('when the command %j cannot be split, then it is refused', (text) => {
    expect(() => parseCmd(text)).toThrow(RunFormError);
  });

  test('when only an image is given, then the request has nothing else; when all fields are, then each is mapped', () => {
    expect(runRequest({ image: ' app:1 ', name: '', ports: '', env: '', cmd: '', labels: '' })).toEqual({ image: 'app:1' });
    expect(runRequest({ image: 'app:1', name: 'web-1', ports: '8080:80', env: 'A=1', cmd: 'httpd -f', labels: 'team=x' })).toEqual({
      image: 'app:1',
      name: 'web-1',
      ports: [{ hostPort: 8080, containerPort: 80 }],
      env: { A: '1' },
      cmd: ['httpd', '-f'],
      labels: { team: 'x' },
    });
    expect(() => runRequest({ image: ' ', name: '', ports: '', env: '', cmd: '', labels: '' })).toThrow('image: required');
  });
});
