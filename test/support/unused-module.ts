// Stands in for a module the code under test never calls (see jest.config.js).
export {};
