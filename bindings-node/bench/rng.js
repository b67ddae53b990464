'use strict'
// A seeded random number generator (mulberry32), for the data of the benchmark and of the
// property-style tests: the same seed gives the same data on every run.

/** A function answering numbers in [0, 1), the sequence fixed by `seed`. */
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

module.exports = { rng }
