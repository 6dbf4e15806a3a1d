// Jest reads testTimeout only from the global config, not from a project's: each project sets its own here.
jest.setTimeout(90000);
