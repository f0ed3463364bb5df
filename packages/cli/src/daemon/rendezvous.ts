/**
 * Local rendezvous: Murmur processes of one user on one machine find each other without mDNS.
 * Each writes `<dir>/<peer id>.json` with its loopback addresses and dials the others it finds there.
 * Entries are removed on clean shutdown; entries of processes that no longer run are ignored and
 * cleaned up by whoever finds them.
 */
import { lstat, mkdir, readFile, readdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { logger } from '@libp2p/logger'
import { isLoopback } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { RENDEZVOUS_DIAL_TIMEOUT, RENDEZVOUS_INTERVAL } from '../constants.js'
import { writePrivateFile } from '../files.js'
import type { Murmur } from '@murmur/node'

const log = logger('murmur:cli:rendezvous')

/** Options of {@link LocalRendezvous}. */
export interface LocalRendezvousInit {
  /** Directory shared by the user's Murmur processes (see `rendezvousDir()`). */
  dir: string
  /**
   * How often to look for entries of processes we are not connected to, in ms.
   *
   * @default RENDEZVOUS_INTERVAL (10 s)
   */
  interval?: number
}

interface Entry {
  pid: number
  multiaddrs: string[]
}

/** Announces a node in the local rendezvous directory and dials the other nodes announced there. */
export class LocalRendezvous {
  private readonly node: Murmur
  private readonly dir: string
  private readonly interval: number
  private readonly file: string
  private timer?: ReturnType<typeof setInterval>
  private scanning = false

  constructor (node: Murmur, init: LocalRendezvousInit) {
    this.node = node
    this.dir = init.dir
    this.interval = init.interval ?? RENDEZVOUS_INTERVAL
    this.file = join(this.dir, `${node.peerId.toString()}.json`)
  }

  /** Writes this node's entry and dials the others. Returns false (and logs why) when the directory is unsafe. */
  async start (): Promise<boolean> {
    const multiaddrs = this.node.getMultiaddrs().filter((ma) => isLoopback(ma)).map(String)
    if (multiaddrs.length === 0) {
      log('no loopback address to announce; local rendezvous off')
      return false
    }
    if (!await this.prepareDir()) {
      return false
    }
    const entry: Entry = { pid: process.pid, multiaddrs }
    await writePrivateFile(this.file, JSON.stringify(entry))
    await this.scan()
    this.timer = setInterval(() => { void this.scan() }, this.interval)
    this.timer.unref()
    return true
  }

  /** Removes this node's entry and stops looking. */
  async stop (): Promise<void> {
    clearInterval(this.timer)
    await rm(this.file, { force: true })
  }

  /** Dials every live entry we have no connection to; removes entries of dead processes. */
  async scan (): Promise<void> {
    if (this.scanning) {
      return
    }
    this.scanning = true
    try {
      const names = await readdir(this.dir)
      const connected = new Set(this.node.libp2p.getConnections().map((c) => c.remotePeer.toString()))
      await Promise.all(names.filter((name) => name.endsWith('.json')).map(async (name) => {
        const peerId = name.slice(0, -'.json'.length)
        if (peerId === this.node.peerId.toString() || connected.has(peerId)) {
          return
        }
        const path = join(this.dir, name)
        const entry = await readEntry(path)
        if (entry === undefined || !processAlive(entry.pid)) {
          log('removing stale entry %s', name)
          await rm(path, { force: true })
          return
        }
        await this.dial(peerId, entry)
      }))
    } catch (err) {
      log.error('scan of %s failed - %e', this.dir, err)
    } finally {
      this.scanning = false
    }
  }

  private async dial (peerId: string, entry: Entry): Promise<void> {
    for (const addr of entry.multiaddrs.filter(isLoopbackAddress)) {
      try {
        await this.node.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(RENDEZVOUS_DIAL_TIMEOUT) })
        log('connected to %s through the local rendezvous', peerId)
        return
      } catch (err) {
        log('could not dial %s - %e', addr, err)
      }
    }
  }

  /**
   * Creates the directory (0700). Its parent must be ours and closed to others, or another user
   * could plant entries for us to dial.
   */
  private async prepareDir (): Promise<boolean> {
    const parent = dirname(this.dir)
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    for (const dir of [parent, this.dir]) {
      const info = await lstat(dir)
      const ours = typeof process.getuid !== 'function' || info.uid === process.getuid()
      // Windows reports every writable folder as 0666 (files.ts privacyProblem): its access list protects it
      const open = process.platform !== 'win32' && (info.mode & 0o022) !== 0
      if (!info.isDirectory() || !ours || open) {
        log.error('%s is not a private directory of this user; local rendezvous off', dir)
        return false
      }
    }
    return true
  }
}

async function readEntry (path: string): Promise<Entry | undefined> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<Entry>
    if (typeof value.pid === 'number' && Array.isArray(value.multiaddrs) && value.multiaddrs.every((a) => typeof a === 'string')) {
      return { pid: value.pid, multiaddrs: value.multiaddrs }
    }
  } catch {
    // unreadable or half-written: treated as stale
  }
  return undefined
}

function processAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to someone else (cannot be in a private dir, but it is alive)
    return (err as { code?: string }).code === 'EPERM'
  }
}

/**
 * Whether a multiaddr written in a rendezvous entry is a loopback address (@libp2p/utils' isLoopback):
 * the only kind this node dials from the directory. An address that does not parse is not one; nor is an
 * IPv4-mapped IPv6 one (`/ip6/::ffff:127.0.0.1`), which no node announces.
 *
 * @example
 * ```ts
 * isLoopbackAddress('/ip6/0:0:0:0:0:0:0:1/tcp/4001') // true
 * isLoopbackAddress('/ip4/127.0.0.1.nip.io/tcp/1') // false
 * ```
 */
export function isLoopbackAddress (addr: string): boolean {
  try {
    return isLoopback(multiaddr(addr))
  } catch {
    return false
  }
}
