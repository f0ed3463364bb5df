/**
 * Per-thread avatars, as Yik Yak had them: each pseudonym of a thread gets a shape and a colour, so
 * that a reader follows who says what in a thread at a glance. Decoration only: the name beside it
 * (authorName, 48 bits) is what tells pseudonyms apart; two may share a shape and a colour. The colour
 * is `pseudonymHue`, the shape comes from the name, both from the hash of the key, so neither can be
 * chosen more cheaply than the name.
 */
import { authorName, fromHex, pseudonymHue } from '@murmur/protocol'

const SVG = 'http://www.w3.org/2000/svg'

/** The shapes (SVG paths in a 20 × 20 box), drawn in the pseudonym's colour. */
export const AVATAR_SHAPES: readonly string[] = [
  'M10 2a8 8 0 1 0 0 16a8 8 0 1 0 0-16z', // circle
  'M3 3h14v14H3z', // square
  'M10 2l8 15H2z', // triangle
  'M10 1l9 9l-9 9l-9-9z', // diamond
  'M10 1l2.6 5.8l6.4.6l-4.8 4.3l1.4 6.3L10 14.8l-5.6 3.2l1.4-6.3L1 7.4l6.4-.6z', // star
  'M6 2h8l5 8l-5 8H6l-5-8z', // hexagon
  'M8 2h4v6h6v4h-6v6H8v-6H2V8h6z', // cross
  'M10 2c5 4 8 8 0 16C2 10 5 6 10 2z', // drop
  'M2 6l8-4l8 4v8l-8 4l-8-4z', // cube
  'M10 18l-7.5-7.2A4.6 4.6 0 0 1 10 4.4a4.6 4.6 0 0 1 7.5 6.4z' // heart
]

/** A pseudonym's name, colour and shape; grey and anonymous without one (a ring-signed vote). */
export interface Avatar {
  name: string
  colour: string
  shape: string
}

/**
 * The avatar of a pseudonym (hex public key), as every post and reply of it in its thread shows it.
 *
 * @example
 * ```ts
 * const { name, colour, shape } = avatarOf(post.pseudonym)
 * ```
 */
export function avatarOf (pseudonym: string | undefined): Avatar {
  const name = authorName(pseudonym)
  if (pseudonym === undefined || !/^[0-9a-f]{64}$/i.test(pseudonym)) return { name, colour: '#6b6b6b', shape: AVATAR_SHAPES[0]! }
  let fold = 0
  for (const c of name) fold = (fold * 31 + c.charCodeAt(0)) >>> 0
  // lightness 26 %: at least 4.5:1 against the page's near-white backgrounds at every hue (yellow is the worst)
  return { name, colour: `hsl(${pseudonymHue(fromHex(pseudonym))} 65% 26%)`, shape: AVATAR_SHAPES[fold % AVATAR_SHAPES.length]! }
}

/** The avatar drawn: an SVG hidden from screen readers (the name beside it is read). */
export function avatarIcon (avatar: Avatar): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', '0 0 20 20')
  svg.setAttribute('class', 'avatar')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('focusable', 'false')
  const path = document.createElementNS(SVG, 'path')
  path.setAttribute('d', avatar.shape)
  path.setAttribute('fill', avatar.colour)
  svg.append(path)
  return svg
}
