/**
 * A circle's members as this tab's roster holds them: the count, each member by the name it joined with
 * (or the start of its ring key), this tab's own entry marked "you", newcomers still outside rings marked;
 * and for the circle's owner a remove button per member. Removing asks first: it rotates the circle to a
 * new key sent to every other member, and the removed one reads nothing posted after it (it keeps what
 * it read).
 */
import { displayLine } from '@murmur/protocol'
import type { CircleMember, Murmur } from '@murmur/node'

/** Where the members list is drawn. */
export interface MembersElements {
  /** The list's box (hidden when no circle is shown). */
  box: HTMLElement
  /** "3 members". */
  count: HTMLElement
  list: HTMLElement
}

/** What the members list needs. */
export interface MembersInit {
  node: Pick<Murmur, 'circles'>
  /** Asks the user to confirm a removal (window.confirm). */
  confirm(question: string): boolean
  /** Says why something did nothing. */
  problem(text: string): void
  /** Called once a member was removed (the circle's line and feed change). */
  removed(circle: string): void
}

/** How a member is named in the list: its join name, else the start of its ring key. */
export function memberLabel (member: CircleMember): string {
  const name = member.name === undefined ? '' : displayLine(member.name).trim()
  return name === '' ? `member ${member.key.slice(0, 8)}` : name
}

/**
 * Draws the members of `circle` (undefined: hides the list). Calls that overlap draw the last one only.
 *
 * @example
 * ```ts
 * const members = membersList(elements, { node, confirm: (q) => window.confirm(q), problem, removed })
 * await members.draw('friends')
 * ```
 */
export function membersList (el: MembersElements, init: MembersInit): { draw(circle: string | undefined): Promise<void> } {
  let drawn = 0
  const draw = async (circle: string | undefined): Promise<void> => {
    const turn = ++drawn
    const summary = circle === undefined ? undefined : init.node.circles.list().find((c) => c.name === circle)
    if (circle === undefined || summary === undefined || summary.removed === true) {
      el.box.hidden = true
      el.list.replaceChildren()
      return
    }
    let members: CircleMember[]
    try {
      members = await init.node.circles.members(circle)
    } catch (err) {
      // left meanwhile: nothing to list
      if (turn === drawn) el.box.hidden = true
      init.problem(`no members list: ${displayLine((err as Error).message)}`)
      return
    }
    if (turn !== drawn) return
    el.count.textContent = `${members.length} ${members.length === 1 ? 'member' : 'members'}`
    el.list.replaceChildren(...members.map((member) => {
      const row = document.createElement('li')
      row.dataset.key = member.key
      const label = memberLabel(member)
      const name = document.createElement('span')
      name.className = 'member-name'
      name.textContent = label
      name.title = member.key
      row.append(name)
      if (member.self) row.append(tag('you', 'self'))
      if (!member.eligible) row.append(tag('newcomer', 'newcomer', 'not in rings yet: the newcomer delay keeps a new member from shrinking anyone\'s ring'))
      if (summary.owner && !member.self) {
        const remove = document.createElement('button')
        remove.type = 'button'
        remove.className = 'remove-member'
        remove.textContent = 'remove'
        remove.setAttribute('aria-label', `remove ${label} from the circle`)
        remove.onclick = () => {
          const question = `Remove ${label} from this circle? The circle moves to a new key that every other member gets; ${label} keeps what it read and reads nothing posted after.`
          if (!init.confirm(question)) return
          remove.disabled = true
          init.node.circles.remove(circle, member.key).then(() => { init.removed(circle) }, (err: unknown) => {
            remove.disabled = false
            const { message, code } = err as Error & { code?: unknown }
            init.problem(`not removed: ${displayLine(message)}${typeof code === 'string' ? ` (${code})` : ''}`)
          })
        }
        row.append(remove)
      }
      return row
    }))
    el.box.hidden = false
  }
  return { draw }
}

function tag (text: string, className: string, title?: string): HTMLSpanElement {
  const el = document.createElement('span')
  el.className = `member-tag ${className}`
  el.textContent = text
  if (title !== undefined) el.title = title
  return el
}
