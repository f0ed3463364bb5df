/**
 * The chat's input line (issue 16 item 1): the editor moves and deletes by grapheme, and the frame
 * draws the input in terminal columns, with the cursor where the terminal drew the text before it.
 */
import { describe, expect, it } from 'vitest'
import { LineEditor } from '../src/chat/editor.js'
import { drawFrame } from '../src/chat/screen.js'
import { columns } from '../src/text.js'
import type { Frame } from '../src/chat/screen.js'

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g
const SAVE_CURSOR = '\u001b7'
const RESTORE_CURSOR = '\u001b8'

/** Types `text` one code point a keypress, as node:readline reports pasted or composed text. */
function type (editor: LineEditor, text: string): void {
  for (const c of text) editor.handle(c, { name: undefined, sequence: c })
}

/** The input row of a drawn frame: the text before the cursor (after the prompt), and after it. */
function inputRow (drawn: string, prompt: string): { before: string, after: string, row: string } {
  expect(drawn.endsWith(`${RESTORE_CURSOR}\u001b[?25h`)).toBe(true)
  // eslint-disable-next-line no-control-regex
  const row = drawn.split(/\u001b\[\d+;1H/).at(-1) ?? ''
  const [before = '', after = ''] = row.replace(RESTORE_CURSOR, '').split(SAVE_CURSOR).map((part) => part.replace(ANSI, ''))
  expect(before.startsWith(prompt)).toBe(true)
  return { before: before.slice(prompt.length), after, row: before + after }
}

function frame (editor: LineEditor, prompt: string): Frame {
  return { header: [], lines: [], scroll: 0, notice: [], prompt, input: editor.text, cursor: editor.cursor }
}

describe('chat input line', () => {
  it('moves and deletes whole graphemes, joining a mark or a joiner typed alone to what comes before', () => {
    const editor = new LineEditor()
    type(editor, 'e\u0301👩\u200d💻🇯🇵日')
    expect(editor.text).toBe('e\u0301👩\u200d💻🇯🇵日')
    expect(editor.cursor).toBe(4)
    editor.handle(undefined, { name: 'left' })
    editor.handle(undefined, { name: 'left' })
    editor.handle(undefined, { name: 'backspace' })
    expect(editor.text).toBe('e\u0301🇯🇵日')
    expect(editor.cursor).toBe(1)
    editor.handle(undefined, { name: 'home' })
    editor.handle(undefined, { name: 'delete' })
    expect(editor.text).toBe('🇯🇵日')
    // a mark typed in the middle of the line becomes part of the letter before the cursor
    editor.handle(undefined, { name: 'end' })
    type(editor, 'a\u0308x')
    editor.handle(undefined, { name: 'left' })
    type(editor, '\u0323')
    expect(editor.text).toBe('🇯🇵日a\u0308\u0323x')
    expect(editor.cursor).toBe(3)
    // deleting what stood between two regional indicators makes them one flag
    editor.handle(undefined, { name: 'end' })
    type(editor, '\u{1f1eb}x\u{1f1f7}')
    expect(editor.cursor).toBe(7)
    editor.handle(undefined, { name: 'left' })
    editor.handle(undefined, { name: 'backspace' })
    expect(editor.text).toBe('🇯🇵日a\u0308\u0323x🇫🇷')
    expect(editor.cursor).toBe(5)
    editor.handle(undefined, { name: 'end' })
    editor.handle(undefined, { name: 'left' })
    editor.handle(undefined, { name: 'k', ctrl: true })
    expect(editor.text).toBe('🇯🇵日a\u0308\u0323x')
    editor.handle(undefined, { name: 'w', ctrl: true })
    expect(editor.text).toBe('')
    type(editor, '🇯🇵日a\u0308\u0323x')
    editor.handle(undefined, { name: 'return' })
    type(editor, 'y')
    editor.handle(undefined, { name: 'up' })
    expect(editor.text).toBe('🇯🇵日a\u0308\u0323x')
    expect(editor.cursor).toBe(4)
  })

  it('keeps the cursor after the text before it, and the row within the width, for wide text', () => {
    const editor = new LineEditor()
    const prompt = '#日本> '
    const typed = '一二三四五六七八九十'.repeat(6)
    type(editor, typed)
    let shown = inputRow(drawFrame(frame(editor, prompt), 80, 24), prompt)
    // 60 wide characters (120 columns) in 80 - 7 - 1 columns: the last 36 shown, the cursor after them
    expect(shown.before).toBe(typed.slice(-36))
    expect(shown.after).toBe('')
    expect(columns(shown.row) + 1).toBeLessThanOrEqual(80)
    editor.handle(undefined, { name: 'home' })
    shown = inputRow(drawFrame(frame(editor, prompt), 80, 24), prompt)
    expect(shown.before).toBe('')
    expect(shown.after).toBe(typed.slice(0, 36))
    for (let i = 0; i < 20; i++) editor.handle(undefined, { name: 'right' })
    shown = inputRow(drawFrame(frame(editor, prompt), 80, 24), prompt)
    expect(shown.before).toBe(typed.slice(0, 20))
    expect(columns(shown.row)).toBeLessThanOrEqual(79)
  })

  it('shows a bidi override or an invisible character typed in the input as the display rule escapes it', () => {
    const editor = new LineEditor()
    type(editor, 'invoice_\u202efdp.exe\u200b')
    const shown = inputRow(drawFrame(frame(editor, '> '), 80, 24), '> ')
    expect(shown.before).toBe('invoice_\\u{202e}fdp.exe\\u{200b}')
    // what is sent is what was typed: the display rule applies where posts are shown
    expect(editor.text).toBe('invoice_\u202efdp.exe\u200b')
  })

  it('cuts a prompt too long for the terminal, leaving room to type', () => {
    const editor = new LineEditor()
    type(editor, 'hello')
    const prompt = `#${'長'.repeat(60)}> `
    const drawn = drawFrame(frame(editor, prompt), 40, 10)
    // eslint-disable-next-line no-control-regex
    const row = (drawn.split(/\u001b\[\d+;1H/).at(-1) ?? '').replace(RESTORE_CURSOR, '').replace(SAVE_CURSOR, '').replace(ANSI, '')
    expect(row).toBe(`#${'長'.repeat(14)}hello`)
    expect(columns(row)).toBeLessThanOrEqual(39)
  })
})
