/**
 * A bounded map that forgets the least recently used entry first: memory of what was seen, verified
 * or sent, that an attacker cannot grow.
 *
 * @example
 * ```ts
 * const gossiped = new Recent<true>(65_536)
 * gossiped.set(toHex(id), true)
 * gossiped.get(toHex(id)) // true until 65,536 other ids were set since
 * ```
 */
export class Recent<T> {
  private readonly entries = new Map<string, T>()
  private readonly size: number

  /** At most `size` entries. */
  constructor (size: number) {
    this.size = size
  }

  /** The value of `key`, which becomes the most recently used. */
  get (key: string): T | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  /** Sets `key`, the most recently used now; forgets the least recently used one beyond the size. */
  set (key: string, value: T): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!)
  }
}
