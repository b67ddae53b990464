'use strict'
// Validate the same 20k credential objects with `validateCredential` and with a zod 4 schema
// enforcing the same rules (hosts, ports, transports, the auth pair, CPS bounds, names, keys),
// in one run, and print both figures and their ratio; the throwing forms (`validateCredential`,
// zod's `.parse`) and the non-throwing ones (`safeValidateCredential`, zod's `.safeParse`).
//
//   node bench/validate.js [n=20000] [repeat=7]
//
// Before timing, both run over the whole data set and must agree on every input: the same
// accept/reject decision and, when accepted, the same normalized fields.
const net = require('node:net')
const url = require('node:url')
const { performance } = require('node:perf_hooks')
const { z } = require('zod')
const sipcreds = require(process.env.SIPCREDS_NODE_PACKAGE || '..')
const { rng } = require('./rng.js')

// ---------------------------------------------------------------------------------------
// The zod schema: §3 and §4 of the contract, as a careful TypeScript team would write it.

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/
const AUTH_USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2}){1,128}$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** [normalized host, isIPv6] or null. */
function parseHost(text) {
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) return null
    const inner = text.slice(1, -1)
    if (!net.isIPv6(inner)) return null
    return [new URL(`http://[${inner}]`).hostname.slice(1, -1), true]
  }
  if (text.includes(':')) return null
  let host = text.endsWith('.') ? text.slice(0, -1) : text
  if (!host) return null
  if (/^[\d.]+$/.test(host)) return IPV4.test(host) ? [host, false] : null
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(host)) {
    host = url.domainToASCII(host)
    if (!host) return null
  }
  host = host.toLowerCase()
  if (host.length > 253) return null
  const labels = host.split('.')
  if (!labels.every((l) => LABEL.test(l))) return null
  if (/^\d+$/.test(labels[labels.length - 1])) return null
  return [host, false]
}

function parseServer(v) {
  if (!v || /[\s\x00-\x1f\x7f]/.test(v)) return null
  if (['://', '@', '/', ';', '?'].some((c) => v.includes(c))) return null
  if (/^(sips?|tel):/i.test(v)) return null
  let hostText
  let portText = null
  if (v.startsWith('[')) {
    const end = v.indexOf(']')
    if (end < 0) return null
    hostText = v.slice(0, end + 1)
    const rest = v.slice(end + 1)
    if (rest && !rest.startsWith(':')) return null
    if (rest) portText = rest.slice(1)
  } else {
    const parts = v.split(':')
    if (parts.length > 2) return null
    hostText = parts[0]
    if (parts.length === 2) portText = parts[1]
  }
  const host = parseHost(hostText)
  if (!host) return null
  let port = null
  if (portText !== null) {
    if (!/^\d{1,5}$/.test(portText)) return null
    port = Number(portText)
    if (port < 1 || port > 65535) return null
  }
  return { host: host[0], v6: host[1], port }
}

const noControls = (s) => !CONTROL.test(s)

const Credential = z
  .strictObject({
    name: z.string().min(1).max(100).refine(noControls).nullable().optional(),
    server: z.string().transform((v, ctx) => {
      const s = parseServer(v)
      if (!s) {
        ctx.addIssue({ code: 'custom', message: 'server is a host or host:port' })
        return z.NEVER
      }
      return s
    }),
    authUser: z.string().regex(AUTH_USER).nullable().optional(),
    authPassword: z.string().min(1).max(256).refine(noControls).nullable().optional(),
    domain: z
      .string()
      .transform((v, ctx) => {
        const h = /\s/.test(v) ? null : parseHost(v)
        if (!h) {
          ctx.addIssue({ code: 'custom', message: 'bad domain' })
          return z.NEVER
        }
        return h
      })
      .nullable()
      .optional(),
    transport: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['udp', 'tcp', 'tls']))
      .optional(),
    cpsLimit: z.number().int().min(1).max(10000).nullable().optional(),
    cpsKey: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/).nullable().optional(),
  })
  .refine((c) => (c.authUser == null) === (c.authPassword == null), { message: 'authUser and authPassword come together' })
  .transform((c) => {
    const transport = c.transport ?? 'udp'
    const { host, v6, port } = c.server
    const shown = v6 ? `[${host}]` : host
    const domain = c.domain ? (c.domain[1] ? `[${c.domain[0]}]` : c.domain[0]) : null
    return {
      name: c.name ?? null,
      server: port === null ? shown : `${shown}:${port}`,
      host,
      port: port ?? (transport === 'tls' ? 5061 : 5060),
      transport,
      authUser: c.authUser ?? null,
      hasPassword: c.authPassword != null,
      domain,
      realm: c.domain ? c.domain[0] : host,
      cpsLimit: c.cpsLimit ?? null,
      cpsKey: c.cpsKey ?? null,
    }
  })

// ---------------------------------------------------------------------------------------
// The data: the same mix as the Python benchmark (most valid and typical, some invalid).


function dataset(n, seed = 7) {
  const r = rng(seed)
  const pick = (xs) => xs[Math.floor(r() * xs.length)]
  const hosts = ['sip.example.com', 'SIP.Provider.NET', 'trunk-1.eu.voip.example.org', '203.0.113.7', '[2001:DB8::10]', 'pbx.bücher.example', 'acme.pstn.twilio.com', 'sip.telnyx.com']
  const badServers = ['sip:x.example.com', 'x.example.com:0', '2001:db8::1', 'a..b.com', 'user@x.com', 'x.com:99999', '-a.com']
  const out = []
  for (let i = 0; i < n; i++) {
    const d = { server: pick(hosts) }
    if (r() < 0.6) d.server += `:${pick([5060, 5061, 5080])}`
    if (r() < 0.8) d.name = `Trunk ${i}`
    if (r() < 0.8) {
      d.authUser = `acme-${i}`
      d.authPassword = `pw-${Math.floor(r() * 2 ** 52).toString(16)}`
    }
    d.transport = pick(['udp', 'UDP', 'tcp', 'tls', 'TLS'])
    if (r() < 0.3) d.domain = pick(['sip.example.com', 'Example.COM', '[2001:db8::1]'])
    if (r() < 0.7) d.cpsLimit = 1 + Math.floor(r() * 100)
    if (r() < 0.5) d.cpsKey = `pool-${1 + Math.floor(r() * 9)}`
    const x = r()
    if (x < 0.03) d.server = pick(badServers)
    else if (x < 0.05) d.cpsLimit = pick([0, 10001, 5.5, '10', true])
    else if (x < 0.06) {
      delete d.authPassword
      d.authUser = 'lonely'
    } else if (x < 0.07) d.transport = 'sctp'
    else if (x < 0.08) d.extra = 1
    out.push(d)
  }
  return out
}

const ours = (d) => {
  try {
    return sipcreds.validateCredential(d)
  } catch (e) {
    if (e instanceof sipcreds.ValidationError) return null
    throw e
  }
}
const theirs = (d) => {
  try {
    return Credential.parse(d)
  } catch (e) {
    if (e instanceof z.ZodError) return null
    throw e
  }
}
// The non-throwing forms of both.
const oursSafe = (d) => {
  const r = sipcreds.safeValidateCredential(d)
  return r.success ? r.data : null
}
const theirsSafe = (d) => {
  const r = Credential.safeParse(d)
  return r.success ? r.data : null
}

function main() {
  const n = Number(process.argv[2] || 20000)
  const repeat = Number(process.argv[3] || 7)
  const data = dataset(n)
  let valid = 0
  for (const d of data) {
    const a = ours(d)
    const b = theirs(d)
    const sa = a && JSON.stringify(Object.fromEntries(Object.entries(a).sort()))
    const sb = b && JSON.stringify(Object.fromEntries(Object.entries(b).sort()))
    if (sa !== sb) {
      console.error(`the validators disagree on ${JSON.stringify(d)}:\n sipcreds ${sa}\n zod      ${sb}`)
      process.exit(1)
    }
    if (a) valid++
  }
  console.log(`${n} credential objects, ${valid} valid; both validators agree on every one`)
  for (const d of data) {
    if (JSON.stringify(oursSafe(d)) !== JSON.stringify(ours(d)) || JSON.stringify(theirsSafe(d)) !== JSON.stringify(theirs(d))) {
      console.error(`the safe and throwing forms disagree on ${JSON.stringify(d)}`)
      process.exit(1)
    }
  }
  const runs = {
    'sipcreds validateCredential': ours,
    'zod .parse': theirs,
    'sipcreds safeValidateCredential': oursSafe,
    'zod .safeParse': theirsSafe,
  }
  const times = Object.fromEntries(Object.keys(runs).map((k) => [k, []]))
  for (let k = 0; k < repeat; k++) {
    for (const [name, fn] of Object.entries(runs)) {
      const t = performance.now()
      for (const d of data) fn(d)
      times[name].push(performance.now() - t)
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]))
  for (const name of Object.keys(runs)) {
    const per = (med[name] / n) * 1000
    console.log(`${name.padEnd(32)} median ${med[name].toFixed(1).padStart(8)} ms for ${n}  (${per.toFixed(2)} µs per credential, spread ${Math.min(...times[name]).toFixed(1)}-${Math.max(...times[name]).toFixed(1)} ms over ${repeat} runs)`)
  }
  const version = require('zod/package.json').version
  console.log(`ratio (throwing forms): sipcreds is ${(med['zod .parse'] / med['sipcreds validateCredential']).toFixed(2)}x the speed of zod ${version} (target on plain valid credentials: at least 2x, below)`)
  console.log(`ratio (non-throwing forms): sipcreds is ${(med['zod .safeParse'] / med['sipcreds safeValidateCredential']).toFixed(2)}x the speed of zod ${version}`)

  // Where the time goes, by kind of input (median of `repeat` passes over each subset).
  const kinds = {
    'plain valid': data.filter((d) => ours(d) && !/[ü[]/.test(d.server)),
    'IDN valid': data.filter((d) => ours(d) && d.server.includes('ü')),
    'IPv6 valid': data.filter((d) => ours(d) && d.server.includes('[')),
    invalid: data.filter((d) => !ours(d)),
  }
  for (const [kind, set] of Object.entries(kinds)) {
    const per = {}
    for (const [name, fn] of [['sipcreds', ours], ['zod', theirs], ['sipcreds safe', oursSafe], ['zod safe', theirsSafe]]) {
      const samples = []
      for (let k = 0; k < repeat; k++) {
        const t = performance.now()
        for (const d of set) fn(d)
        samples.push(((performance.now() - t) * 1000) / set.length)
      }
      per[name] = median(samples)
    }
    console.log(
      `  ${kind.padEnd(12)} (${String(set.length).padStart(5)}): throwing sipcreds ${per.sipcreds.toFixed(2)} µs, zod ${per.zod.toFixed(2)} µs, ratio ${(per.zod / per.sipcreds).toFixed(2)}; ` +
        `non-throwing ${per['sipcreds safe'].toFixed(2)} µs, ${per['zod safe'].toFixed(2)} µs, ratio ${(per['zod safe'] / per['sipcreds safe']).toFixed(2)}`,
    )
  }
}

if (require.main === module) main()
module.exports = { dataset, ours, theirs, oursSafe, theirsSafe }
