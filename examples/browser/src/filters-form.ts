/**
 * The mutes and filters panel (index.html `#filters`): words or phrases to hide (one a line), a score
 * below which posts are hidden, how many threads and pseudonyms are muted and a button to unmute them.
 * What it saves goes through PageReading (reading.ts): checked as the CLI checks its filters file, kept
 * in this browser only.
 */
import { displayLine } from '@murmur/protocol'
import type { PageReading } from './reading.js'

/**
 * Wires the filters panel; `changed` is called after every change that may hide or show posts.
 *
 * @example
 * ```ts
 * const filters = filtersPanel(reading, () => { void drawFeed() })
 * filters.draw()
 * ```
 */
export function filtersPanel (reading: PageReading, changed: () => void): { draw(): void } {
  const byId = <T extends HTMLElement>(id: string): T => {
    const el = document.getElementById(id)
    if (el === null) throw new Error(`#${id} is missing from the page`)
    return el as T
  }
  const form = byId<HTMLFormElement>('filters-form')
  const words = byId<HTMLTextAreaElement>('filter-words')
  const minScore = byId<HTMLInputElement>('filter-min-score')
  const summary = byId('filter-summary')
  const problem = byId('filter-problem')
  const unmute = byId<HTMLButtonElement>('unmute-all')

  const draw = (): void => {
    const f = reading.filters
    words.value = f.words.join('\n')
    minScore.value = f.minScore === undefined ? '' : String(f.minScore)
    const muted = f.threads.length + f.pseudonyms.length
    const parts = [
      ...(muted > 0 ? [`${muted} muted`] : []),
      ...(f.words.length > 0 ? [`${f.words.length} ${f.words.length === 1 ? 'word' : 'words'}`] : []),
      ...(f.minScore === undefined ? [] : [`below ${f.minScore} hidden`])
    ]
    summary.textContent = parts.length === 0 ? '' : `(${parts.join(', ')})`
    unmute.hidden = muted === 0
  }

  form.onsubmit = (evt) => {
    evt.preventDefault()
    problem.textContent = ''
    const typed = minScore.value.trim()
    const floor = typed === '' ? undefined : Number(typed)
    try {
      reading.setWordsAndScore(words.value.split('\n').map((w) => w.trim()).filter((w) => w !== ''), floor)
    } catch (err) {
      const { message, code } = err as Error & { code?: unknown }
      problem.textContent = `not saved: ${displayLine(message)}${typeof code === 'string' ? ` (${code})` : ''}`
      return
    }
    draw()
    changed()
  }
  unmute.onclick = () => {
    reading.unmuteAll()
    draw()
    changed()
  }
  return { draw }
}
