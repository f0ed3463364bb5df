import { RIBLT_MAX_CELLS, SketchInitiator, SketchResponder, preferSketch, rangeSpread, sketchFirstBatch } from '@murmur/protocol'
import type { ReconcileStep, Reconciler, SyncItem, SyncMessage } from '@murmur/protocol'

/** Sketch fields of a request. */
export type SketchRequest = Pick<SyncMessage, 'sketchSalt' | 'sketchSize' | 'sketchMore' | 'sketchNeed'>

const nothing = (): ReconcileStep => ({ ranges: [], need: [], give: [] })

/**
 * The initiator's sketch phase of a sync session (docs/PROTOCOL.md §10): once the responder split the
 * opening fingerprint, spread differences switch the session from ranges to a rateless IBLT over salted
 * short ids; the phase asks for cells until it decodes, asks for the posts it lacks by short id, and admits
 * only envelopes whose ids it asked for. A difference past the sketch's bound falls back to ranges.
 */
export class SketchPhase {
  private readonly items: SyncItem[]
  private sketch?: SketchInitiator
  private state: 'off' | 'cells' | 'asked' | 'over' = 'off'

  constructor (items: SyncItem[]) {
    this.items = items
  }

  /**
   * What to send after `reply`: the reconciler's ranges and needs, or the sketch's request. `first`: the
   * reply answers the opening fingerprint. Throws SketchError on cells no honest responder sends.
   */
  next (reply: SyncMessage, reconciler: Reconciler, first: boolean): { step: ReconcileStep, sketch: SketchRequest } {
    if (this.state === 'cells') {
      const sketch = this.receive(reply.sketchCells)
      // past the sketch's bound, or a peer that does not answer it: ranges from the start
      return sketch === 'fallback' ? { step: { ...nothing(), ranges: reconciler.initial() }, sketch: {} } : { step: nothing(), sketch }
    }
    const step = reconciler.process(reply.ranges)
    if (first && this.state === 'off' && this.items.length > 0 && preferSketch(rangeSpread(this.items, reply.ranges))) {
      this.sketch = new SketchInitiator(this.items.map((item) => item.id))
      this.state = 'cells'
      return { step: nothing(), sketch: { sketchSalt: this.sketch.salt as Uint8Array<ArrayBuffer>, sketchSize: this.sketch.size } }
    }
    return { step, sketch: {} }
  }

  /** Whether `id` is one the sketch asked for. */
  asked (id: Uint8Array): boolean {
    return this.state === 'asked' && this.sketch !== undefined && this.sketch.asked(id)
  }

  private receive (cells: Uint8Array | undefined): SketchRequest | 'fallback' {
    const step = cells === undefined || cells.byteLength === 0 ? undefined : this.sketch!.receive(cells)
    if (step === undefined || step.status === 'fallback') {
      this.state = 'over'
      return 'fallback'
    }
    if (step.status === 'more') return { sketchMore: step.more }
    this.state = 'asked'
    return step.need.byteLength === 0 ? {} : { sketchNeed: step.need as Uint8Array<ArrayBuffer> }
  }
}

/**
 * The responder's end of a session's sketch phase: at most one sketch a session (its short ids cost a hash
 * per item), at most RIBLT_MAX_CELLS cells in all.
 */
export class SketchAnswer {
  private readonly items: SyncItem[]
  private sketch?: SketchResponder

  constructor (items: SyncItem[]) {
    this.items = items
  }

  /**
   * The cells answering a request's sketch fields, and the ids of this side's items it asks for. Throws
   * SketchError on a need list that is not whole short ids (a salt of the wrong size does not decode).
   */
  answer (message: SyncMessage): { cells?: Uint8Array<ArrayBuffer>, ids: Uint8Array[] } {
    let cells: Uint8Array | undefined
    if (message.sketchSalt !== undefined && this.sketch === undefined) {
      this.sketch = new SketchResponder(this.items.map((item) => item.id), message.sketchSalt)
      cells = this.sketch.next(sketchFirstBatch(message.sketchSize ?? 0, this.items.length))
    } else if (message.sketchMore !== undefined && this.sketch !== undefined) {
      cells = this.sketch.next(Math.min(message.sketchMore, RIBLT_MAX_CELLS - this.sketch.cells))
    }
    const ids = message.sketchNeed !== undefined && this.sketch !== undefined ? this.sketch.resolve(message.sketchNeed) : []
    return { ...(cells === undefined ? {} : { cells: cells as Uint8Array<ArrayBuffer> }), ids }
  }
}
