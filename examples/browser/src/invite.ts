/**
 * Circle invites on the page: the join link (`#join=MURMUR:CIRCLE:…` in the URL fragment, which a browser
 * never sends to any server) and its QR code, drawn as SVG elements from qrcode's module matrix (no
 * markup from a string anywhere).
 */
import { create } from 'qrcode'
import type { QRCodeSegment } from 'qrcode'

/** The fragment parameter of a join link. */
export const JOIN_PARAM = 'join'

/** Modules of white around a QR code, as the QR standard asks for a reader to find it. */
const QUIET_ZONE = 4

/**
 * The invite in a page address's fragment (`#join=…`), if there is one.
 *
 * @example
 * ```ts
 * inviteFromFragment('#join=MURMUR:CIRCLE:AB…') // 'MURMUR:CIRCLE:AB…'
 * ```
 */
export function inviteFromFragment (hash: string): string | undefined {
  const invite = new URLSearchParams(hash.replace(/^#/, '')).get(JOIN_PARAM)?.trim()
  return invite === undefined || invite === '' ? undefined : invite
}

/**
 * The join link of an invite: this page's address (without its query: a link sets no settings) and the
 * invite in the fragment.
 *
 * @example
 * ```ts
 * inviteLink('https://murmur.example/app/', 'MURMUR:CIRCLE:AB…') // 'https://murmur.example/app/#join=MURMUR:CIRCLE:AB…'
 * ```
 */
export function inviteLink (page: string, invite: string): string {
  const url = new URL(page)
  return `${url.origin}${url.pathname}#${JOIN_PARAM}=${invite}`
}

/** Drops the invite from the address bar (history only; nothing reloads): a reload does not offer it again. */
export function forgetInviteFragment (): void {
  if (inviteFromFragment(window.location.hash) === undefined) return
  const url = new URL(window.location.href)
  url.hash = ''
  window.history.replaceState(window.history.state, '', url)
}

/**
 * The segments of a join link's QR code: the page's address as bytes, the invite (base32, upper case, and
 * `:`) in the denser alphanumeric mode.
 *
 * @example
 * ```ts
 * create(qrSegments(link), { errorCorrectionLevel: 'M' })
 * ```
 */
export function qrSegments (link: string): QRCodeSegment[] {
  const bytes = (text: string): QRCodeSegment => ({ data: new TextEncoder().encode(text), mode: 'byte' })
  const at = link.indexOf(`#${JOIN_PARAM}=`)
  if (at < 0) return [bytes(link)]
  const split = at + JOIN_PARAM.length + 2
  return [bytes(link.slice(0, split)), { data: link.slice(split), mode: 'alphanumeric' }]
}

/**
 * The dark modules of a QR code as one SVG path (a unit square per module, offset by the quiet zone), and
 * the side of the whole code in modules.
 *
 * @example
 * ```ts
 * const { d, side } = qrPath(create(qrSegments(link)).modules)
 * ```
 */
export function qrPath (modules: { size: number, get(row: number, col: number): number }): { d: string, side: number } {
  const parts: string[] = []
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col) !== 0) parts.push(`M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`)
    }
  }
  return { d: parts.join(''), side: modules.size + 2 * QUIET_ZONE }
}

/**
 * Draws the QR code of `link` into `svg` (replacing what it held): black modules on white, scaled by CSS.
 *
 * @example
 * ```ts
 * drawQr(document.querySelector('svg#invite-qr')!, inviteLink(location.href, invite))
 * ```
 */
export function drawQr (svg: SVGSVGElement, link: string): void {
  const { d, side } = qrPath(create(qrSegments(link), { errorCorrectionLevel: 'M' }).modules)
  const ns = 'http://www.w3.org/2000/svg'
  const background = document.createElementNS(ns, 'rect')
  background.setAttribute('width', String(side))
  background.setAttribute('height', String(side))
  background.setAttribute('fill', '#fff')
  const path = document.createElementNS(ns, 'path')
  path.setAttribute('d', d)
  path.setAttribute('fill', '#000')
  svg.setAttribute('viewBox', `0 0 ${side} ${side}`)
  svg.setAttribute('shape-rendering', 'crispEdges')
  svg.replaceChildren(background, path)
}
