/** Whether every one of `count` nodes is reachable from node 0, following `neighboursOf`. */
export function isConnected (count: number, neighboursOf: (node: number) => Iterable<number>): boolean {
  const seen = new Uint8Array(count)
  const stack = [0]
  seen[0] = 1
  let reached = 1
  while (stack.length > 0) {
    for (const u of neighboursOf(stack.pop()!)) {
      if (seen[u] === 0) { seen[u] = 1; reached++; stack.push(u) }
    }
  }
  return reached === count
}
