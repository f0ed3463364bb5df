/**
 * The question a page asks before a link changes its settings. `?relay=` picks the tab's only relay
 * (everything it sends and receives goes through that host at first, which can also refuse to relay
 * it anywhere else), `?pow=` picks the proof of work it mines and accepts and `?stamp=` the member
 * stamps'; a crafted link must not set any of them silently. The page shows what the link wants to
 * change, from what to what, and applies it only when the user says so.
 */
import { displayLine } from '@murmur/protocol'
import { LINK_SETTINGS, originRelays, saveSettings } from './settings.js'
import type { LinkChange, SettingsProposal, UserSettings } from './settings.js'

const LABELS: Record<LinkChange['setting'], string> = { relay: 'relay', powBits: 'proof of work (bits)', stampBits: 'member stamps (bits)' }

/**
 * Resolves with the relay and proof of work to start with: the saved ones, or the link's once the
 * user applied them (then saved). A relay the page's own server publishes (originRelays) needs no
 * answer: the link's when it is one of them, else the first of them when none is saved (saved either way).
 * Either way the link's parameters leave the address bar, so a reload does not ask again. `onAsk` is
 * called only when there is a question to ask, as it is shown: a page saying "this link wants to change
 * your settings" before the origin's relays are known would say it for a moment when the only change is
 * the relay that served it.
 */
export async function settleLinkSettings (proposal: SettingsProposal, storage: Storage, section: HTMLElement, onAsk: () => void): Promise<UserSettings> {
  let saved: UserSettings = { relay: proposal.settings.relay, powBits: proposal.settings.powBits, stampBits: proposal.settings.stampBits }
  const linked = proposal.changes.find((change) => change.setting === 'relay')
  const own = linked !== undefined || saved.relay === undefined ? await originRelays(window.location) : []
  const ownRelay = own.find((relay) => relay === linked?.to) ?? (saved.relay === undefined ? own[0] : undefined)
  if (ownRelay !== undefined) {
    saved = { ...saved, relay: ownRelay }
    saveSettings(storage, saved)
  }
  const changes = proposal.changes.filter((change) => change.setting !== 'relay' || change.to !== saved.relay)
    .map((change) => change.setting === 'relay' ? { ...change, from: saved.relay } : change)
  if (changes.length === 0) {
    forgetLinkSettings()
    return saved
  }
  onAsk()
  const apply = await ask(changes, section)
  forgetLinkSettings()
  if (!apply) {
    return saved
  }
  saveSettings(storage, proposal.proposed)
  return proposal.proposed
}

/** Shows the changes in `section` and resolves true for "apply", false for "keep my settings". */
async function ask (changes: LinkChange[], section: HTMLElement): Promise<boolean> {
  const list = section.querySelector('#link-changes')
  const applyButton = section.querySelector<HTMLButtonElement>('#link-apply')
  const keepButton = section.querySelector<HTMLButtonElement>('#link-keep')
  if (list === null || applyButton === null || keepButton === null) {
    throw new Error('the link settings section is incomplete')
  }
  list.replaceChildren(...changes.flatMap((change) => {
    const term = document.createElement('dt')
    term.textContent = LABELS[change.setting]
    const value = document.createElement('dd')
    value.dataset.setting = change.setting
    // escaped, not just shown: a bidi control in a crafted address could make it read as another one
    value.append(code(change.from === undefined ? 'none' : displayLine(change.from)), ' → ', code(displayLine(change.to)))
    return [term, value]
  }))
  section.hidden = false
  return new Promise((resolve) => {
    const answer = (apply: boolean): void => {
      section.hidden = true
      resolve(apply)
    }
    applyButton.onclick = () => { answer(true) }
    keepButton.onclick = () => { answer(false) }
  })
}

function code (text: string): HTMLElement {
  const el = document.createElement('code')
  el.textContent = text
  return el
}

/** Drops the link's settings from the address bar (history only; nothing reloads). */
function forgetLinkSettings (): void {
  const url = new URL(window.location.href)
  if (LINK_SETTINGS.some((name) => url.searchParams.has(name))) {
    for (const name of LINK_SETTINGS) url.searchParams.delete(name)
    window.history.replaceState(window.history.state, '', url)
  }
}
