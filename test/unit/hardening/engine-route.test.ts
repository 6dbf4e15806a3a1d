import { engineRoute } from '../../../src/engine/engine-call-timing';

describe('engineRoute', () => {
  test.each([
    ['/_ping', '/_ping'],
    ['/containers/json?all=1', '/containers/json'],
    ['/containers/create?name=web', '/containers/create'],
    ['/containers/4f66ad9a0b2e/json', '/containers/{id}/json'],
    ['/containers/web-1/stop?t=2', '/containers/{id}/stop'],
    ['/containers/web-1?force=true', '/containers/{id}'],
    ['/images/127.0.0.1:5000/team/app:1.0/json', '/images/{id}/json'],
    ['/images/team/app:1.0', '/images/{id}'],
    ['/images/team/app', '/images/{id}'],
    ['/images/create?fromImage=x', '/images/create'],
    ['/v1.41/events?since=1', '/events'],
    ['/exec/abc/start', '/exec/{id}/start'],
  ])('when the engine path is %s, then the metric label is %s', (p, want) => {
    expect(engineRoute(p)).toBe(want);
  });
});
