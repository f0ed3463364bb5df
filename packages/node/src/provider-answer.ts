/**
 * Reading one storer's GET_PROVIDERS answer within bounds (see provider-lookup.ts for why it is read
 * leniently): the length-prefixed message off the stream, at most `maxBytes` of it; its records gathered
 * by raw address group without parsing an address; the kept records drawn by group and only then parsed.
 *
 * The work an answer costs is bounded by its bytes, not by what the storer claims: a record whose id is
 * shorter than any PeerId is skipped unread, so at most `maxBytes` / {@link MIN_RECORD_BYTES} records
 * are gathered; gathering draws no randomness until a group holds `perGroup` records, and the final draw
 * takes at most two random draws per kept record (random.ts reads them from a buffered CSPRNG: a CSPRNG
 * call per draw blocked the event loop ~0.15 s per 128 KiB answer).
 */
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { reader } from 'protons-runtime'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { embeddedIpv4, ipOfBytes } from './address-scope.js'
import { dnsNames } from './discovery-names.js'
import { ProviderAnswerError } from './provider-errors.js'
import { drawFromGroups, randomIndex } from './random.js'
import { DNS_GROUP } from './relay-share.js'
import type { ProviderInfo } from './kad-providers.js'
import type { PeerInfo, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** The shortest PeerId multihash (SHA-256 of a public key, 34 bytes): a record with a shorter id is skipped. */
export const MIN_PEER_ID_BYTES = 34

/**
 * The fewest bytes a gathered record takes in an answer: its field tag and length, its id's tag and
 * length, and an id of {@link MIN_PEER_ID_BYTES}. An answer of `maxBytes` gathers at most
 * `maxBytes / MIN_RECORD_BYTES` records.
 */
export const MIN_RECORD_BYTES = 2 + 2 + MIN_PEER_ID_BYTES

/** The bounds an answer is read within. */
export interface AnswerBounds {
  /** Most bytes of the message read. */
  maxBytes: number
  /** Addresses of one record read (the rest are ignored). */
  maxAddresses: number
  /** Most records of one address group gathered (a uniform sample of the group's records). */
  perGroup: number
}

/** A decoded answer: its message type, and its records gathered by raw address group. */
export interface RawAnswer {
  type: number
  groups: ProviderInfo[][]
  /** Records gathered (well-formed, with a plausible id), before the per-group sample. */
  records: number
}

/** MessageType.GET_PROVIDERS as the wire numbers it. */
export const MESSAGE_GET_PROVIDERS = 3

/** Protobuf wire types and the fields read. */
const LENGTH_DELIMITED = 2
const FIELD_TYPE = 1
const FIELD_PROVIDERS = 9
const FIELD_ID = 1
const FIELD_ADDRESS = 2

/**
 * Most bytes of one provider record kept from an answer: a record longer is passed over unread. A
 * record of `PROVIDER_RECORD_ADDRESSES` long relayed addresses is well under it; one peer's thousands
 * of addresses, repeated by a storer, filled the bytes read and left the honest records after it out
 * (fifteenth read of issue 12, High 2: 0 of 4 records read).
 */
export const MAX_RECORD_BYTES = 2048

/**
 * Most bytes of one answer taken off the stream, as a multiple of the bytes kept: what is passed over
 * (closer peers, records over {@link MAX_RECORD_BYTES}) costs only reading, but not without end.
 */
export const ANSWER_WIRE_FACTOR = 8

/**
 * Reads one length-prefixed GET_PROVIDERS answer from `stream`, keeping at most `maxBytes` of its
 * fields: `truncated` when more was left out than passed over. Its closer peers (the provider lookup
 * finds the storers itself) and any record over {@link MAX_RECORD_BYTES} are passed over as they
 * arrive, never held, so what the storer repeats of one peer cannot crowd the records out of the bytes
 * kept. Holds at most `maxBytes` and one chunk, and takes at most {@link ANSWER_WIRE_FACTOR} × `maxBytes`
 * off the stream, however much the peer sends. Fields are kept whole, in order; a malformed field
 * header throws ProviderAnswerError ERR_ANSWER_MALFORMED, an answer the stream ends before ERR_ANSWER_ENDED.
 *
 * @example
 * ```ts
 * const { bytes, truncated } = await readAnswer(stream, PROVIDER_ANSWER_BYTES, signal)
 * ```
 */
export async function readAnswer (stream: Stream, maxBytes: number, signal: AbortSignal): Promise<{ bytes: Uint8Array, truncated: boolean }> {
  const input = new Uint8ArrayList()
  const kept = new Uint8ArrayList()
  /** The message's length, once its prefix is read; how much of it was taken; bytes of a passed-over field still to come. */
  let length: number | undefined
  let taken = 0
  let skipping = 0
  let truncated = false
  const onAbort = (): void => { stream.abort(signal.reason instanceof Error ? signal.reason : new Error('aborted')) }
  signal.addEventListener('abort', onAbort, { once: true })
  /** Takes what `input` holds of the message; true once the message is read or the bounds are reached. */
  const take = (): boolean => {
    if (length === undefined) {
      try {
        length = varint.decode(input)
      } catch (err) {
        if (input.byteLength >= 5) throw new ProviderAnswerError('ERR_ANSWER_MALFORMED', 'malformed length prefix', { cause: err })
        return false
      }
      input.consume(varint.encodingLength(length))
    }
    for (;;) {
      if (skipping > 0) {
        const n = Math.min(skipping, input.byteLength)
        input.consume(n)
        skipping -= n
        taken += n
        // a passed-over field is cut at the bytes taken off the stream too: one that claims to be endless
        // (closer peers of 2^40 bytes) was read to its end, or for as long as the storer had
        if (skipping > 0 && taken <= ANSWER_WIRE_FACTOR * maxBytes) return false
      }
      if (taken >= length) return true
      if (taken > ANSWER_WIRE_FACTOR * maxBytes) {
        truncated = true
        return true
      }
      const field = fieldHeader(input)
      if (field === undefined) return false
      if (taken + field.header + field.value > length) throw new ProviderAnswerError('ERR_ANSWER_MALFORMED', 'field longer than the answer')
      if (field.passOver || field.value > MAX_RECORD_BYTES && field.number === FIELD_PROVIDERS) {
        input.consume(field.header)
        taken += field.header
        skipping = field.value
        continue
      }
      const size = field.header + field.value
      if (kept.byteLength + size > maxBytes) {
        truncated = true
        return true
      }
      if (input.byteLength < size) return false
      kept.append(input.sublist(0, size))
      input.consume(size)
      taken += size
    }
  }
  try {
    let done = false
    for await (const chunk of stream) {
      input.append(chunk)
      if ((done = take())) break
    }
    signal.throwIfAborted()
    if (!done) throw new ProviderAnswerError('ERR_ANSWER_ENDED', 'answer ended early')
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
  return { bytes: kept.subarray(), truncated }
}

/** A top-level field's header as read from the start of `input`: its number, header and value bytes, and whether it is passed over unread (closer peers). */
interface FieldHeader {
  number: number
  header: number
  value: number
  passOver: boolean
}

/** The kad message field of closer peers: passed over by {@link readAnswer}. */
const FIELD_CLOSER = 8

/** The header of the field `input` starts with, or nothing until it holds the whole header; throws on a wire type protobuf has no length for. */
function fieldHeader (input: Uint8ArrayList): FieldHeader | undefined {
  let tag: number
  try {
    tag = varint.decode(input)
  } catch (err) {
    if (input.byteLength >= 5) throw new ProviderAnswerError('ERR_ANSWER_MALFORMED', 'malformed field tag', { cause: err })
    return undefined
  }
  const tagBytes = varint.encodingLength(tag)
  const number = tag >>> 3
  const wire = tag & 7
  if (wire === 1) return { number, header: tagBytes, value: 8, passOver: false }
  if (wire === 5) return { number, header: tagBytes, value: 4, passOver: false }
  if (wire === 0) {
    // a varint value: header and value are taken together, up to its last byte
    for (let i = tagBytes; i < Math.min(input.byteLength, tagBytes + 10); i++) {
      if ((input.get(i) & 0x80) === 0) return { number, header: tagBytes, value: i + 1 - tagBytes, passOver: false }
    }
    if (input.byteLength >= tagBytes + 10) throw new ProviderAnswerError('ERR_ANSWER_MALFORMED', 'malformed varint field')
    return undefined
  }
  if (wire !== LENGTH_DELIMITED) throw new ProviderAnswerError('ERR_ANSWER_MALFORMED', `field of wire type ${wire}`)
  let value: number
  try {
    value = varint.decode(input.sublist(tagBytes))
  } catch (err) {
    if (input.byteLength >= tagBytes + 5) throw new ProviderAnswerError('ERR_ANSWER_MALFORMED', 'malformed field length', { cause: err })
    return undefined
  }
  return { number, header: tagBytes + varint.encodingLength(value), value, passOver: number === FIELD_CLOSER }
}

/**
 * Decodes the fields of a GET_PROVIDERS answer that are read (the others skipped), gathering its
 * records by {@link rawGroup}, at most `perGroup` of each (a uniform sample). A record is cut to its
 * first `maxAddresses` addresses; a malformed record, or one whose id is shorter than any PeerId, is
 * skipped; a malformed answer throws, except where a `truncated` answer was cut off (the records before
 * the cut are kept).
 *
 * @example
 * ```ts
 * const answer = decodeAnswer(bytes, truncated, { maxBytes: PROVIDER_ANSWER_BYTES, maxAddresses: 8, perGroup: 256 })
 * ```
 */
export function decodeAnswer (bytes: Uint8Array, truncated: boolean, bounds: AnswerBounds): RawAnswer {
  const read = reader(bytes)
  const groups = new Map<number | string, { records: ProviderInfo[], seen: number }>()
  let type = 0
  let records = 0
  while (read.pos < read.len) {
    try {
      const tag = read.uint32()
      if (tag >>> 3 === FIELD_TYPE && (tag & 7) === 0) type = read.int32()
      else if (tag >>> 3 === FIELD_PROVIDERS && (tag & 7) === LENGTH_DELIMITED) {
        const length = read.uint32()
        const start = read.pos
        read.skip(length)
        // a record too short to hold a PeerId is passed over unread: junk records cost no allocation
        const record = length < MIN_RECORD_BYTES - 2 ? undefined : decodeRecord(bytes.subarray(start, start + length), bounds.maxAddresses)
        if (record === undefined) continue
        records++
        const key = rawGroup(record)
        const group = groups.get(key) ?? { records: [], seen: 0 }
        groups.set(key, group)
        // a uniform sample of the group's records, whatever their order (reservoir sampling)
        group.seen++
        if (group.records.length < bounds.perGroup) group.records.push(record)
        else {
          const j = randomIndex(group.seen)
          if (j < bounds.perGroup) group.records[j] = record
        }
      } else read.skipType(tag & 7)
    } catch (err) {
      // a field cut off by the byte limit ends the answer (reading past the end is a RangeError);
      // anything else is a malformed answer
      if (truncated && err instanceof RangeError) break
      throw new ProviderAnswerError('ERR_ANSWER_MALFORMED', 'malformed GET_PROVIDERS answer', { cause: err })
    }
  }
  return { type, groups: [...groups.values()].map((group) => group.records), records }
}

/**
 * At most `count` records of `answer`, drawn by address group ({@link drawFromGroups}) among those
 * `skip` does not pass over (given a record's PeerId multihash bytes), each then parsed into a PeerInfo
 * (a record whose id or an address does not parse is left out).
 *
 * @example
 * ```ts
 * const providers = keptProviders(decodeAnswer(bytes, false, bounds), 64)
 * ```
 */
export function keptProviders (answer: RawAnswer, count: number, skip?: (id: Uint8Array) => boolean): PeerInfo[] {
  const groups = skip === undefined ? answer.groups : answer.groups.map((records) => records.filter((record) => !skip(record.id)))
  return drawFromGroups(groups, count).flatMap((record) => toPeerInfo(record.id, record.multiaddrs))
}

/** A record's id and its first `maxAddresses` addresses, or nothing when it is malformed or its id is too short for a PeerId. */
function decodeRecord (bytes: Uint8Array, maxAddresses: number): ProviderInfo | undefined {
  const read = reader(bytes)
  let id: Uint8Array<ArrayBuffer> | undefined
  const multiaddrs: Array<Uint8Array<ArrayBuffer>> = []
  try {
    while (read.pos < read.len) {
      const tag = read.uint32()
      if (tag >>> 3 === FIELD_ID && (tag & 7) === LENGTH_DELIMITED) id = read.bytes()
      else if (tag >>> 3 === FIELD_ADDRESS && (tag & 7) === LENGTH_DELIMITED) {
        const address = read.bytes()
        if (multiaddrs.length < maxAddresses) multiaddrs.push(address)
      } else read.skipType(tag & 7)
    }
  } catch {
    return undefined
  }
  return id === undefined || id.byteLength < MIN_PEER_ID_BYTES ? undefined : { id, multiaddrs }
}

/** The multiaddr codes of the DNS names (one-byte varints). */
const DNS_CODES = new Set([0x35, 0x36, 0x37, 0x38])
/** The code of `sni` (0x01c1) as its two varint bytes. */
const SNI = [0xc1, 0x03]

/**
 * The address group of a raw record, read from the bytes of its first address not named by DNS (as
 * `peerGroup` picks it) without parsing: the IPv4 address or IPv6 /48 (as `addressGroup` does: a
 * leading `/ip6zone` passed over, an IPv6 address carrying an IPv4 one, such as IPv4-mapped, NAT64,
 * 6to4 or Teredo, as that IPv4 address by `embeddedIpv4`; a relayed address starts with its relay's)
 * as a number; one group for a record naming only DNS names (a name costs nothing: one host may hold
 * thousands; a TLS `sni` name too, as `dnsNames` reads it), and one for records naming no IP address
 * (none at all, or a path: each path a group of its own gave one host as many groups as it wrote).
 */
function rawGroup (record: ProviderInfo): number | string {
  const first = record.multiaddrs.find((address) => !namedByDns(address)) ?? record.multiaddrs[0]
  if (first === undefined) return ''
  if (namedByDns(first)) return DNS_GROUP
  const ip = ipOfBytes(first)
  // a path, a bare /p2p/…: never dialed when learned (see learnedAddress), one group as if it named none
  if (ip === undefined) return ''
  // IPv4 in [0, 2^32), IPv6 /48 in [2^48, 2^49): numbers, so that no string is built per record
  const ip4 = ip.length === 4 ? ip : embeddedIpv4(ip)
  if (ip4 !== undefined) return ip4Number(ip4)
  return 2 ** 48 + ip[0]! * 2 ** 40 + ip[1]! * 2 ** 32 + ip[2]! * 2 ** 24 + ip[3]! * 2 ** 16 + ip[4]! * 2 ** 8 + ip[5]!
}

function ip4Number (bytes: Uint8Array): number {
  return bytes[0]! * 2 ** 24 + bytes[1]! * 2 ** 16 + bytes[2]! * 2 ** 8 + bytes[3]!
}

/**
 * Whether an address names its host by DNS: a DNS code first, or an `sni` name (looked for as its two
 * code bytes, and parsed only then: the WebSockets transport dials `/ip4/…/tls/sni/<name>/ws` by name).
 */
function namedByDns (address: Uint8Array): boolean {
  if (DNS_CODES.has(address[0]!)) return true
  for (let i = address.indexOf(SNI[0]!); i >= 0; i = address.indexOf(SNI[0]!, i + 1)) {
    if (address[i + 1] !== SNI[1]) continue
    try {
      return dnsNames(multiaddr(address)).length > 0
    } catch {
      return false
    }
  }
  return false
}

/** A provider record as a PeerInfo, or nothing when its id or an address does not parse. */
function toPeerInfo (id: Uint8Array, addresses: Uint8Array[]): PeerInfo[] {
  try {
    const multiaddrs: Multiaddr[] = addresses.map((bytes) => multiaddr(bytes))
    return [{ id: peerIdFromMultihash(Digest.decode(id)), multiaddrs }]
  } catch {
    return []
  }
}
