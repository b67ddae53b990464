'use strict'
// The public API of the `sipcreds` npm package: a thin layer over the native addon that turns
// inputs into JSON text, replies into plain objects (wire JSON shape), and native errors into
// `SipcredsError` subclasses with `.code` and `.field`. No rule lives here.

const native = loadNative()

/** The addon. An installed package carries it prebuilt (`sipcreds.<platform>.node`, or the
 * optional package `sipcreds-<platform>`); a source checkout (`npm install ./bindings-node`)
 * builds it with cargo on the first `require` where npm did not run the install script
 * (`SIPCREDS_NO_BUILD=1` turns that off). When no binary matches this platform the error says
 * which platform that is and what this package carries. */
function loadNative() {
  try {
    return require('./index.js')
  } catch (e) {
    const fs = require('node:fs')
    const path = require('node:path')
    const carried = fs.readdirSync(__dirname).filter((f) => /^sipcreds\..+\.node$/.test(f))
    const checkout = fs.existsSync(path.join(__dirname, 'Cargo.toml'))
    if (carried.length === 0 && checkout && !process.env.SIPCREDS_NO_BUILD) {
      require('./scripts/build.js').build()
      return require('./index.js')
    }
    throw noBinary(e, carried)
  }
}

/** The napi-rs name of this platform (`linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`). */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
    const glibc = !report || Boolean(report.header?.glibcVersionRuntime)
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function noBinary(cause, carried) {
  const name = platformName()
  const has = carried.length ? carried.map((f) => f.slice('sipcreds.'.length, -'.node'.length)).join(', ') : 'none'
  const error = new Error(
    `sipcreds: no native addon for this platform (${name}). This package carries prebuilt ` +
      `addons for: ${has}; the optional package sipcreds-${name} is not installed. Install a ` +
      `sipcreds build for ${name}, or build from source: npm install <checkout>/bindings-node ` +
      `(needs a Rust toolchain).`,
    { cause },
  )
  error.code = 'ERR_SIPCREDS_NO_BINARY'
  error.platform = name
  return error
}

// The error classes and the class of each code, generated from the core's error table.
const { CLASS_OF, EXTRAS, ...errorClasses } = require('./errors.js')
const { SipcredsError, ValidationError } = errorClasses

/** A native error (its message is the error JSON) as the matching class. */
function convert(e) {
  if (!(e instanceof Error) || typeof e.message !== 'string' || !e.message.startsWith('{"error"')) return e
  let body
  try {
    body = JSON.parse(e.message).error
  } catch {
    return e
  }
  const Class = CLASS_OF[body.code] || SipcredsError
  const details = {}
  for (const key of EXTRAS[body.code] || []) details[key] = body[key]
  return new Class(body.message, body.code, body.field ?? null, details, e.message)
}

function invalid(code, field, message) {
  return new ValidationError(message, code, field)
}

function typeName(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

/** A stand-in for values no JSON can hold (NaN, BigInt beyond 2^53, functions, symbols): the
 * core then answers the field's own wrong-type error, as the contract asks. */
const FOREIGN = Object.freeze({})

/** Is this string valid Unicode (no lone surrogate)? napi would turn a lone surrogate into
 * U+FFFD, silently changing a password, so such a string is refused instead. */
function wellFormed(s) {
  return typeof s.isWellFormed === 'function' ? s.isWellFormed() : !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))
}

function jsonSafe(obj) {
  let copy = null
  for (const key of Object.keys(obj)) {
    const v = obj[key]
    const t = typeof v
    let replaced
    if (!wellFormed(key)) {
      throw invalid('invalid_json', null, 'a key of the object is not valid text: it holds a lone surrogate')
    }
    if (t === 'string' && !wellFormed(v)) {
      // The field's own code, from the core; never the value.
      throw convert(new Error(native.undecodableFieldError(key)))
    }
    if (t === 'string' || t === 'boolean' || v === null) {
      continue
    } else if (t === 'number') {
      if (Number.isFinite(v)) continue
      replaced = FOREIGN
    } else if (t === 'undefined') {
      // Absent, as JSON.stringify would have it.
      if (copy === null) copy = { ...obj }
      delete copy[key]
      continue
    } else if (t === 'object') {
      // No field of the wire format takes an object or an array: its shape is enough for
      // the field's wrong-type error, and its contents (however deep) are not converted.
      replaced = Array.isArray(v) ? [] : FOREIGN
    } else if (t === 'bigint') {
      const n = Number(v)
      replaced = Number.isSafeInteger(n) ? n : FOREIGN
    } else if (t === 'function' || t === 'symbol') {
      replaced = FOREIGN
    } else {
      continue
    }
    if (copy === null) copy = { ...obj }
    copy[key] = replaced
  }
  return copy ?? obj
}

/** A body as JSON text: a JSON string as is, a Buffer as UTF-8, a plain object stringified. */
function body(value, what = 'credential') {
  if (typeof value === 'string') return wellFormedText(value)
  if (value instanceof Uint8Array) return utf8(value)
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return JSON.stringify(jsonSafe(value))
  throw invalid('invalid_json', null, `expected the ${what} as an object or a JSON string, not ${typeName(value)}`)
}

/** Bytes as UTF-8 text, refused (not silently replaced by U+FFFD, which would change a
 * password) when they are not UTF-8. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
function utf8(bytes) {
  try {
    return UTF8.decode(bytes)
  } catch {
    throw invalid('invalid_json', null, 'the body is not UTF-8')
  }
}

function wellFormedText(value) {
  if (wellFormed(value)) return value
  throw invalid('invalid_json', null, 'the JSON text is not valid text: it holds a lone surrogate (an unpaired half of a UTF-16 pair); decode it as UTF-8 first')
}

/** A list of bodies as one JSON array text. */
function listBody(value) {
  if (typeof value === 'string') return wellFormedText(value)
  if (value instanceof Uint8Array) return body(value)
  if (!Array.isArray(value)) {
    throw invalid('invalid_json', 'credentials', `expected an array of credential inputs, not ${typeName(value)}`)
  }
  const parts = value.map((item, i) => {
    if (typeof item === 'string') return wellFormedText(item)
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) return JSON.stringify(jsonSafe(item))
    throw invalid('invalid_json', `credentials[${i}]`, `credentials[${i}]: expected an object, not ${typeName(item)}`)
  })
  return `[${parts.join(',')}]`
}

/** A string argument, or the core's error for it (each argument answers its own code). */
function text(value, field) {
  if (typeof value === 'string') return value
  throw convert(new Error(native.argumentError(field, typeName(value))))
}

function org(value) {
  return text(value, 'org')
}

function id(value, field = 'id') {
  return text(value, field)
}

/** A page's `{ limit, after }` checked for type (core checks the range and the cursor, and
 * pages `after` alone at its largest page), or `undefined` for the whole list (no page, or one
 * with neither). */
function pageOf(page) {
  if (page === undefined || page === null) return undefined
  if (typeof page !== 'object' || Array.isArray(page)) {
    throw invalid('invalid_option', 'page', `page must be an object { limit, after }, not ${typeName(page)}`)
  }
  const { limit, after } = page
  if (limit === undefined && (after === undefined || after === null)) return undefined
  if (limit !== undefined && !Number.isInteger(limit)) {
    throw invalid('invalid_option', 'limit', `limit must be an integer from 1 to 1000, not ${typeName(limit)}`)
  }
  return {
    limit: limit === undefined ? null : limit,
    after: after === undefined || after === null ? null : text(after, 'after'),
  }
}

function number(value) {
  return text(value, 'number')
}

function call(fn) {
  try {
    return fn()
  } catch (e) {
    throw convert(e)
  }
}

async function reply(promiseOrThunk) {
  try {
    return await promiseOrThunk()
  } catch (e) {
    throw convert(e)
  }
}

/** A credential JSON object with its `revealPassword()` (not enumerable: never in JSON,
 * `util.inspect` or object spreads; the password itself stays in Rust memory). */
function credential(obj, r, index) {
  Object.defineProperty(obj, 'revealPassword', {
    value: function revealPassword() {
      return r.revealPassword(index)
    },
    enumerable: false,
  })
  return obj
}

function credentialOf(r) {
  return credential(JSON.parse(r.json), r, 0)
}

function credentialsOf(r) {
  return JSON.parse(r.json).map((c, i) => credential(c, r, i))
}

function credentialPageOf(r) {
  const out = JSON.parse(r.json)
  out.items = out.items.map((c, i) => credential(c, r, i))
  return out
}

function jsonOf(r) {
  return JSON.parse(r.json)
}

const NULL = '\u0001'
const orNull = (v) => (v === NULL ? null : v)

/** The create fields' positions among the arguments of `checkCredentialValues`, from the core. */
const PACKED = new Map(native.createFields().map((key, i) => [key, i]))
if (PACKED.size !== 8) throw new Error('sipcreds: the addon does not match this sipcreds.js (create fields)')
/** Each field's value by position, then their kinds (see `KIND`). */
const NONE = [...Array.from(PACKED.keys(), () => undefined), 0]
const KINDS = PACKED.size
const KIND = native.argumentKinds()
const [NAME, SERVER, AUTH_USER, DOMAIN, CPS_LIMIT, CPS_KEY] = ['name', 'server', 'authUser', 'domain', 'cpsLimit', 'cpsKey'].map((k) => PACKED.get(k))
const TRANSPORTS = native.transports()
const { COMPACT_HOST_SHIFT, COMPACT_TRANSPORT_SHIFT, COMPACT_HAS_PASSWORD, COMPACT_SERVER_LOWERCASED, COMPACT_DOMAIN_SHIFT, COMPACT_REALM_IS_DOMAIN } = native

/** The create fields of a plain object by their position, then their kinds, 3 bits a field
 * (the arguments of `checkCredentialValues`); or `null` when anything calls for the JSON path:
 * another prototype, an unknown key, a value that is not a well-formed string, a safe
 * integer, a boolean or null. */
function fieldValues(obj) {
  const proto = Object.getPrototypeOf(obj)
  if (proto !== Object.prototype && proto !== null) return null
  const values = NONE.slice()
  let kinds = 0
  for (const key in obj) {
    const i = PACKED.get(key)
    if (i === undefined) return null
    const v = obj[key]
    let kind
    if (typeof v === 'string') {
      if (!wellFormed(v)) return null
      kind = KIND.string
    } else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) return null
      kind = KIND.number
    } else if (typeof v === 'boolean') {
      kind = v ? KIND.true : KIND.false
    } else if (v === null) {
      kind = KIND.null
    } else if (v === undefined) {
      kind = KIND.absent
    } else {
      return null
    }
    values[i] = v
    kinds |= kind << (3 * i)
  }
  values[KINDS] = kinds
  return values
}

/** The normalized fields from the core's one-number answer and the given values (see
 * `compact_reply` in src/lib.rs: which fields are the given ones, lowercased, or derived). */
function compactData(code, values) {
  const given = values[SERVER]
  const server = (code & COMPACT_SERVER_LOWERCASED) !== 0 ? given.toLowerCase() : given
  const hostLength = (code >>> COMPACT_HOST_SHIFT) & 511
  const host = hostLength === server.length ? server : server.slice(0, hostLength)
  const d = (code >>> COMPACT_DOMAIN_SHIFT) & 3
  const domain = d === 0 ? null : d === 1 ? values[DOMAIN] : values[DOMAIN].toLowerCase()
  return {
    name: values[NAME] ?? null,
    server,
    host,
    port: code & 0xffff,
    transport: TRANSPORTS[(code >>> COMPACT_TRANSPORT_SHIFT) & 3],
    authUser: values[AUTH_USER] ?? null,
    hasPassword: (code & COMPACT_HAS_PASSWORD) !== 0,
    domain,
    realm: (code & COMPACT_REALM_IS_DOMAIN) !== 0 ? domain : host,
    cpsLimit: values[CPS_LIMIT] ?? null,
    cpsKey: values[CPS_KEY] ?? null,
  }
}

/** The native answer as `{ success: true, data }` or `{ success: false, error: { code, field,
 * message } }`. */
function check(credential) {
  const values = credential !== null && typeof credential === 'object' ? fieldValues(credential) : null
  const fast = values === null ? '' : native.checkCredentialValues(values[KINDS], values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7])
  if (typeof fast === 'number') return { success: true, data: compactData(fast, values) }
  const s = fast !== '' ? fast : native.checkCredentialFields(body(credential))
  if (s.charCodeAt(0) !== 0) {
    const [, code, field, message] = s.split('\u0002')
    return { success: false, error: { code, field: orNull(field), message } }
  }
  const f = s.split('\0')
  return {
    success: true,
    data: {
      name: orNull(f[1]),
      server: f[2],
      host: f[3],
      port: Number(f[4]),
      transport: f[5],
      authUser: orNull(f[6]),
      hasPassword: f[7] === '1',
      domain: orNull(f[8]),
      realm: f[9],
      cpsLimit: f[10] === NULL ? null : Number(f[10]),
      cpsKey: orNull(f[11]),
    },
  }
}

/** Validate one credential (an object or a JSON string): its normalized fields, or a thrown
 * `ValidationError`. */
function validateCredential(credential) {
  const r = check(credential)
  if (r.success) return r.data
  throw new ValidationError(r.error.message, r.error.code, r.error.field)
}

/** Validate without throwing (for hot paths: an `Error` costs a stack trace):
 * `{ success: true, data }` or `{ success: false, error: { code, field, message } }`. Body
 * errors that are not about the credential (a non-object) still throw. */
function safeValidateCredential(credential) {
  return check(credential)
}

/** Lint one credential input: findings. */
function lintCredential(credential) {
  return JSON.parse(call(() => native.lintCredentialJson(body(credential))))
}

/** Likely causes of a SIP failure (`'401'`, `'503'`, `'timeout'`, ...), most likely first. */
function diagnose(symptom, reason) {
  if (typeof symptom === 'number') symptom = String(symptom)
  const s = text(symptom, 'symptom')
  const r = reason == null ? null : text(reason, 'reason')
  return JSON.parse(call(() => native.diagnoseJson(s, r)))
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function waitMs(value) {
  // The range is the core's check (Registry::wait_option); here only the type.
  if (typeof value !== 'number') {
    throw invalid('invalid_option', 'maxWaitMs', `maxWaitMs must be a number of milliseconds, not ${typeName(value)}`)
  }
  return value
}

/** The registry of every org: in memory (`new Registry()`), or the embedded SQLite file
 * (`new Registry('sipcreds.db')`). Store operations return Promises and run off the JS
 * thread. Three calls can block the JS thread, and each has an async twin: the constructor
 * (it opens the file and its key, or connects to PostgreSQL: `await Registry.open(...)`),
 * and `tryAcquire` (it reads the store on an org's first decision and once a second on a
 * shared store, and asks Redis on every decision with a Redis limiter: `tryAcquireAsync`). */
class Registry {
  #native
  #closed = false
  #path

  constructor(path, options = {}, opened = undefined) {
    const p = path == null ? null : wellFormedText(String(path))
    const limiter = options.limiter == null ? null : wellFormedText(text(options.limiter, 'limiter'))
    this.#native = opened ?? call(() => new native.NativeRegistry(p, limiter))
    this.#path = p === null ? null : native.redactLocation(p)
  }

  /** The constructor's work (opening the file or connecting) on the thread pool. */
  static async open(path, options = {}) {
    const p = path == null ? null : wellFormedText(String(path))
    const limiter = options.limiter == null ? null : wellFormedText(text(options.limiter, 'limiter'))
    const opened = await reply(() => native.NativeRegistry.open(p, limiter))
    return new Registry(path, options, opened)
  }

  /** The SQLite file, or `null` in memory. */
  get path() {
    return this.#path
  }

  createCredential(o, input) {
    return reply(async () => credentialOf(await this.#native.createCredential(org(o), body(input))))
  }
  createCredentials(o, inputs) {
    return reply(async () => credentialsOf(await this.#native.createCredentials(org(o), listBody(inputs))))
  }
  getCredential(o, credentialId) {
    return reply(async () => credentialOf(await this.#native.getCredential(org(o), id(credentialId))))
  }
  listCredentials(o, page) {
    return reply(async () => {
      const g = org(o)
      const p = pageOf(page)
      if (!p) return credentialsOf(await this.#native.listCredentials(g))
      return credentialPageOf(await this.#native.listCredentialsPage(g, p.limit, p.after))
    })
  }
  updateCredential(o, credentialId, patch) {
    return reply(async () =>
      credentialOf(await this.#native.updateCredential(org(o), id(credentialId), body(patch, 'patch'))),
    )
  }
  usage(o, credentialId) {
    return reply(async () => jsonOf(await this.#native.usage(org(o), id(credentialId))))
  }
  deleteCredential(o, credentialId, options = {}) {
    const force = typeof options === 'boolean' ? options : Boolean(options && options.force)
    return reply(async () => jsonOf(await this.#native.deleteCredential(org(o), id(credentialId), force)))
  }
  linkNumber(o, n, credentialId) {
    return reply(async () =>
      jsonOf(await this.#native.linkNumber(org(o), number(n), id(credentialId, 'credentialId'))),
    )
  }
  unlinkNumber(o, n) {
    return reply(async () => jsonOf(await this.#native.unlinkNumber(org(o), number(n))))
  }
  deleteNumber(o, n) {
    return reply(async () => jsonOf(await this.#native.deleteNumber(org(o), number(n))))
  }
  listNumbers(o, page) {
    return reply(async () => {
      const g = org(o)
      const p = pageOf(page)
      if (!p) return jsonOf(await this.#native.listNumbers(g))
      return jsonOf(await this.#native.listNumbersPage(g, p.limit, p.after))
    })
  }
  lintInput(o, input, options = {}) {
    return reply(async () => {
      const replacing = options?.id
      return jsonOf(await this.#native.lintInput(
        org(o),
        body(input),
        replacing === undefined || replacing === null ? null : id(replacing),
      ))
    })
  }
  getNumber(o, n) {
    return reply(async () => jsonOf(await this.#native.getNumber(org(o), number(n))))
  }
  health(o, credentialId) {
    return reply(async () => jsonOf(await this.#native.health(org(o), id(credentialId))))
  }
  healthList(o, page) {
    return reply(async () => {
      const g = org(o)
      const p = pageOf(page)
      if (!p) return jsonOf(await this.#native.healthList(g))
      return jsonOf(await this.#native.healthListPage(g, p.limit, p.after))
    })
  }
  healthEvents(o, credentialId) {
    return reply(async () => jsonOf(await this.#native.healthEvents(org(o), id(credentialId))))
  }
  pause(o, credentialId) {
    return reply(async () => jsonOf(await this.#native.pause(org(o), id(credentialId))))
  }
  resume(o, credentialId) {
    return reply(async () => jsonOf(await this.#native.resume(org(o), id(credentialId))))
  }
  createToken(o, role, options = {}) {
    return reply(async () => {
      const name = options?.name
      return jsonOf(await this.#native.createToken(
        org(o),
        text(role, 'role'),
        name === undefined || name === null ? null : text(name, 'name'),
      ))
    })
  }
  listTokens(o) {
    return reply(async () => jsonOf(await this.#native.listTokens(org(o))))
  }
  revokeToken(o, tokenId) {
    return reply(async () => jsonOf(await this.#native.revokeToken(org(o), id(tokenId))))
  }
  createAgent(o, name) {
    return reply(async () => jsonOf(await this.#native.createAgent(org(o), text(name, 'name'))))
  }
  getAgent(o, agentId) {
    return reply(async () => jsonOf(await this.#native.getAgent(org(o), id(agentId))))
  }
  assignNumber(o, agentId, n) {
    return reply(async () => jsonOf(await this.#native.assignNumber(org(o), id(agentId, 'agentId'), number(n))))
  }
  unassignNumber(o, agentId, n) {
    return reply(async () => jsonOf(await this.#native.unassignNumber(org(o), id(agentId, 'agentId'), number(n))))
  }
  deleteAgent(o, agentId) {
    return reply(async () => jsonOf(await this.#native.deleteAgent(org(o), id(agentId))))
  }
  listAgents(o, page) {
    return reply(async () => {
      const g = org(o)
      const p = pageOf(page)
      if (!p) return jsonOf(await this.#native.listAgents(g))
      return jsonOf(await this.#native.listAgentsPage(g, p.limit, p.after))
    })
  }
  connectProvider(o, kind, name, credentials) {
    return reply(async () => {
      const r = await this.#native.connectProvider(
        org(o),
        text(kind, 'kind'),
        text(name, 'name'),
        listBody(credentials),
      )
      const out = JSON.parse(r.json)
      out.credentials = out.credentials.map((c, i) => credential(c, r, i))
      return out
    })
  }
  listProviders(o, page) {
    return reply(async () => {
      const g = org(o)
      const p = pageOf(page)
      if (!p) return jsonOf(await this.#native.listProviders(g))
      return jsonOf(await this.#native.listProvidersPage(g, p.limit, p.after))
    })
  }
  deleteProvider(o, providerId) {
    return reply(async () => jsonOf(await this.#native.deleteProvider(org(o), id(providerId))))
  }
  lint(o) {
    return reply(async () => jsonOf(await this.#native.lint(org(o))))
  }
  /** The live probe (docs/probe.md) of a stored credential, off the JS thread: resolve, connect,
   * OPTIONS, and a Contact-less REGISTER (nothing is registered) answering one digest
   * challenge. Resolves to the report (`outcome`, `steps`, `challenge`, `causes`, ...); a
   * probe that fails is a report, and the Promise rejects only for what stops it starting
   * (`not_found`, `invalid_option`). Options: `timeout` (seconds), `register`, `caFile`,
   * `nameserver` ('ip:port'), `localAddress`. */
  probe(o, credentialId, options = {}) {
    return reply(async () => {
      let opts = null
      if (options != null) {
        if (typeof options !== 'object' || Array.isArray(options)) {
          throw invalid('invalid_option', 'options', `the probe options must be an object, not ${typeName(options)}`)
        }
        for (const [k, v] of Object.entries(options)) {
          if (!wellFormed(k) || (typeof v === 'string' && !wellFormed(v))) {
            throw invalid('invalid_option', wellFormed(k) ? k : 'options', 'a probe option is not valid text: it holds a lone surrogate')
          }
        }
        opts = JSON.stringify(options)
      }
      return jsonOf(await this.#native.probe(org(o), id(credentialId), opts))
    })
  }

  /** Every credential of the org probed, `concurrency` (1-10000, default 16) at a time:
   * an async iterator of the reports in the order the probes end
   * (`for await (const r of reg.probeAll(org, { concurrency: 100, timeout: 2 }))`). The
   * probes wait on their sockets, never on a thread. Other options as for `probe`. */
  async *probeAll(o, options = {}) {
    const g = org(o)
    if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
      throw invalid('invalid_option', 'options', `the probe options must be an object, not ${typeName(options)}`)
    }
    const { concurrency = 16, ...probeOptions } = options ?? {}
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10000) {
      throw invalid('invalid_option', 'concurrency', `concurrency must be an integer 1 to 10000, not ${String(concurrency)}`)
    }
    const ids = []
    let after = null
    do {
      const page = await this.listCredentials(g, after === null ? { limit: 1000 } : { limit: 1000, after })
      for (const c of page.items) ids.push(c.id)
      after = page.next
    } while (after)
    const ended = []
    let wake = null
    let next = 0
    let running = 0
    let failure = null
    const start = () => {
      while (failure === null && running < concurrency && next < ids.length) {
        const credentialId = ids[next++]
        running++
        this.probe(g, credentialId, probeOptions).then(
          (r) => ended.push(r),
          (e) => {
            // A credential deleted since the listing is skipped; anything else stops the run.
            if (e?.code !== 'not_found') failure ??= e
          },
        ).finally(() => {
          running--
          start()
          if (wake) {
            const w = wake
            wake = null
            w()
          }
        })
      }
    }
    start()
    while (running > 0 || ended.length > 0) {
      if (ended.length === 0) {
        await new Promise((resolve) => {
          wake = resolve
        })
        continue
      }
      yield ended.shift()
    }
    if (failure !== null) throw failure
  }

  /** Release the store at once (the SQLite file, the PostgreSQL pool): later calls reject
   * with StorageError; calls already started end first. Closing again does nothing. */
  close() {
    if (!this.#closed) {
      this.#native.close()
      this.#closed = true
    }
  }

  /** Whether `close()` was called. */
  get closed() {
    return this.#closed
  }

  /** How many credentials the org has (nothing decrypted). */
  countCredentials(o) {
    return reply(async () => jsonOf(await this.#native.countCredentials(org(o))))
  }

  rateGroups(o) {
    return reply(async () => jsonOf(await this.#native.rateGroups(org(o))))
  }

  /** Admit a call now, or say when to retry: `{ admitted: true, waitMs: 0 }` or
   * `{ admitted: false, retryAfterMs }`. Synchronous: see the class comment for when it
   * waits for the store or Redis; `tryAcquireAsync` never blocks. */
  tryAcquire(o, credentialId) {
    return JSON.parse(call(() => this.#native.tryAcquire(org(o), id(credentialId))))
  }

  /** `tryAcquire` on the thread pool: a Promise of the same decision. */
  tryAcquireAsync(o, credentialId) {
    return reply(async () => jsonOf(await this.#native.tryAcquireAsync(org(o), id(credentialId))))
  }

  /** Book the next free slot: `{ admitted: true, waitMs }` (dial after that long), or
   * `{ admitted: false, retryAfterMs }` when the wait would exceed `maxWaitMs`. */
  reserve(o, credentialId, maxWaitMs) {
    return reply(async () => jsonOf(await this.#native.reserve(org(o), id(credentialId), waitMs(maxWaitMs))))
  }

  /** `reserve`, then resolve when the booked slot comes (at once when rejected). */
  async acquire(o, credentialId, maxWaitMs) {
    const decision = await this.reserve(o, credentialId, maxWaitMs)
    if (decision.admitted && decision.waitMs > 0) await sleep(decision.waitMs)
    return decision
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `Registry { path: ${this.#path === null ? 'null' : JSON.stringify(this.#path)} }`
  }
}

// `using reg = new Registry(path)` closes it at the end of the block (where the runtime has
// explicit resource management).
if (typeof Symbol.dispose === 'symbol') {
  Registry.prototype[Symbol.dispose] = function dispose() {
    this.close()
  }
}

module.exports = {
  Registry,
  ...errorClasses,
  validateCredential,
  safeValidateCredential,
  lintCredential,
  diagnose,
  symptoms: () => native.symptoms(),
  listAllErrors: () => JSON.parse(native.listAllErrorsJson()),
  schema: () => JSON.parse(native.inputSchemaJson()),
  version: native.version(),
  MAX_BODY_BYTES: native.MAX_BODY_BYTES,
}
