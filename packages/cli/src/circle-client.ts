/**
 * The circle calls of the control API (docs/API.md, "Circles") over a daemon's ControlClient: list,
 * create, invite, join, leave, remove, members. Posting and reading in a circle go through the
 * client's own post/reply/vote/feed/thread with `circle:NAME` as the channel.
 */
import { DamagedCircleError, UnknownCircleError } from './circle-errors.js'
import { damagedLine } from './circle-text.js'
import type { ControlClient } from './client.js'
import type {
  CircleInviteRequest, CircleInviteResponse, CircleMembersResponse, CircleResponse, CircleSummary, CirclesResponse,
  CreateCircleRequest, JoinCircleRequest, JoinCircleResponse, PostResult
} from './api-types.js'

/** The circles of the daemon a ControlClient talks to. */
export class CircleClient {
  private readonly client: ControlClient

  /**
   * The circle calls of `client`.
   *
   * @example
   * ```ts
   * const circles = new CircleClient(await ControlClient.connect(dataDir))
   * console.log(await circles.list())
   * ```
   */
  constructor (client: ControlClient) {
    this.client = client
  }

  /** The circles this node is a member of. */
  async list (): Promise<CircleSummary[]> {
    return (await this.client.request<CirclesResponse>('GET', '/circles')).circles
  }

  /**
   * One circle by its local name, to read, post in or change: UnknownCircleError (the names this node holds
   * in its message) when there is none, DamagedCircleError (saying what to do) when this node cannot read it.
   * `leave`: the command that leaves it, for that message (default `murmur circle leave NAME`).
   */
  async get (name: string, leave?: string): Promise<CircleSummary> {
    const circle = await this.held(name)
    if (circle.damaged === true) throw new DamagedCircleError(damagedLine(circle, leave))
    return circle
  }

  /** One circle by its local name, even one this node cannot read (to leave it); UnknownCircleError as {@link get}. */
  async held (name: string): Promise<CircleSummary> {
    const circles = await this.list()
    const circle = circles.find((c) => c.name === name)
    if (circle === undefined) throw new UnknownCircleError(name, circles.map((c) => c.name))
    return circle
  }

  /** Creates a circle owned by this node. */
  async create (request: CreateCircleRequest): Promise<CircleSummary> {
    return (await this.client.request<CircleResponse>('POST', '/circles', request)).circle
  }

  /** Makes an invite to a circle. */
  async invite (request: CircleInviteRequest): Promise<CircleInviteResponse> {
    return this.client.request('POST', '/circles/invite', request)
  }

  /** Joins a circle from an invite. */
  async join (request: JoinCircleRequest): Promise<JoinCircleResponse> {
    return this.client.request('POST', '/circles/join', request)
  }

  /** Leaves a circle (its keys are forgotten); resolves to the circles left. */
  async leave (circle: string): Promise<CircleSummary[]> {
    return (await this.client.request<CirclesResponse>('POST', '/circles/leave', { circle })).circles
  }

  /**
   * Removes members (owner only), one or several in one rotation: the circle moves to a new key the others
   * get. Past the rate members follow rotations at, ApiError ERR_CIRCLE_RATE (429) saying from when.
   */
  async remove (circle: string, members: string[]): Promise<CircleSummary> {
    // one member in the older form, which every daemon reads
    const named = members.length === 1 ? { member: members[0] } : { members }
    return (await this.client.request<CircleResponse>('POST', '/circles/remove', { circle, ...named })).circle
  }

  /** Posts again, on the circle's current key, this node's own post lost in a fork (`state: 'forked'`). */
  async repost (circle: string, id: string): Promise<PostResult & { circle: string }> {
    return this.client.request('POST', '/circles/repost', { circle, id })
  }

  /** The members on this node's roster of a circle. */
  async members (circle: string): Promise<CircleMembersResponse> {
    return this.client.request('GET', `/circles/members?${new URLSearchParams({ circle }).toString()}`)
  }
}
