/**
 * The input line of the chat: text, cursor, history, driven by node:readline keypress events. The
 * cursor moves and deletes by grapheme (an emoji sequence, a letter and its marks), never inside one.
 */
import { graphemes } from '../text.js'

/** A key as node:readline's `emitKeypressEvents` reports it. */
export interface Key {
  name?: string
  ctrl?: boolean
  meta?: boolean
  shift?: boolean
  sequence?: string
}

/**
 * What a keypress asks the chat to do: `none` changed nothing (no need to draw), `changed` moved the
 * text or the cursor, `redraw` (Ctrl-L) asks for the whole frame again.
 */
export type EditorAction =
  | { type: 'none' }
  | { type: 'changed' }
  | { type: 'submit', line: string }
  | { type: 'interrupt' }
  | { type: 'eof' }
  | { type: 'scroll', pages: number }
  | { type: 'redraw' }

/** An editable line with history. */
export class LineEditor {
  /** The text as graphemes. */
  private chars: string[] = []
  private position = 0
  private readonly history: string[] = []
  private historyIndex = 0
  private draft = ''

  /** The text typed so far. */
  get text (): string {
    return this.chars.join('')
  }

  /** Cursor position, in graphemes. */
  get cursor (): number {
    return this.position
  }

  /**
   * Applies one keypress.
   *
   * @example
   * ```ts
   * stdin.on('keypress', (str, key) => { const action = editor.handle(str, key) })
   * ```
   */
  handle (str: string | undefined, key: Key | undefined): EditorAction {
    const name = key?.name
    if (key?.ctrl === true) {
      switch (name) {
        case 'c': return { type: 'interrupt' }
        case 'd': return this.chars.length === 0 ? { type: 'eof' } : this.deleteForward()
        case 'a': return this.move(0)
        case 'e': return this.move(this.chars.length)
        case 'u': return this.replace(0, this.position)
        case 'k': return this.replace(this.position, this.chars.length)
        case 'w': return this.deleteWord()
        case 'l': return { type: 'redraw' }
        default: return { type: 'none' }
      }
    }
    switch (name) {
      case 'return':
      case 'enter':
        return this.submit()
      case 'backspace':
        return this.position === 0 ? { type: 'none' } : this.replace(this.position - 1, this.position)
      case 'delete': return this.deleteForward()
      case 'left': return this.move(this.position - 1)
      case 'right': return this.move(this.position + 1)
      case 'home': return this.move(0)
      case 'end': return this.move(this.chars.length)
      case 'up': return this.recall(-1)
      case 'down': return this.recall(1)
      case 'pageup': return { type: 'scroll', pages: 1 }
      case 'pagedown': return { type: 'scroll', pages: -1 }
      default:
        break
    }
    if (str === undefined || key?.meta === true) {
      return { type: 'none' }
    }
    // printable text only: control characters never enter the line
    // eslint-disable-next-line no-control-regex
    const printable = str.replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    if (printable === '') {
      return { type: 'none' }
    }
    return this.replace(this.position, this.position, printable)
  }

  /**
   * Replaces the graphemes from `start` to `end` with `text`, the cursor after it. The line is segmented
   * again: a mark or a joiner typed alone belongs to the grapheme before it, and a deletion can join
   * its neighbours (two regional indicators, Hangul jamo).
   */
  private replace (start: number, end: number, text = ''): EditorAction {
    const before = this.chars.slice(0, start).join('') + text
    this.chars = [...graphemes(before + this.chars.slice(end).join(''))]
    return this.move([...graphemes(before)].length)
  }

  /**
   * Puts a submitted line back to be edited (a post refused as too long), the cursor at its end; only
   * while the line is empty, so nothing typed since is lost. Returns whether it did.
   *
   * @example
   * ```ts
   * editor.restore(line) // true
   * ```
   */
  restore (line: string): boolean {
    if (this.chars.length > 0) return false
    this.chars = [...graphemes(line)]
    this.historyIndex = this.history.length
    this.move(this.chars.length)
    return true
  }

  private submit (): EditorAction {
    const line = this.text
    this.chars = []
    this.position = 0
    if (line.trim() !== '' && this.history.at(-1) !== line) {
      this.history.push(line)
    }
    this.historyIndex = this.history.length
    this.draft = ''
    return { type: 'submit', line }
  }

  private recall (step: number): EditorAction {
    const next = this.historyIndex + step
    if (next < 0 || next > this.history.length) {
      return { type: 'none' }
    }
    if (this.historyIndex === this.history.length) {
      this.draft = this.text
    }
    this.historyIndex = next
    this.chars = [...graphemes(this.history[next] ?? this.draft)]
    return this.move(this.chars.length)
  }

  private deleteForward (): EditorAction {
    return this.position >= this.chars.length ? { type: 'none' } : this.replace(this.position, this.position + 1)
  }

  private deleteWord (): EditorAction {
    let start = this.position
    while (start > 0 && this.chars[start - 1] === ' ') start--
    while (start > 0 && this.chars[start - 1] !== ' ') start--
    return this.replace(start, this.position)
  }

  private move (to: number): EditorAction {
    this.position = Math.max(0, Math.min(this.chars.length, to))
    return { type: 'changed' }
  }
}
