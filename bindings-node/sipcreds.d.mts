// The types of the ES module entry (sipcreds.mjs): those of the CommonJS entry.
export * from './sipcreds.js'
