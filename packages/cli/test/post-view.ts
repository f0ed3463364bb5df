import type { PostView } from '@murmur/node'

/** A top-level post as the node hands it to the CLI; `extra` overrides any field (the body too). */
export const postView = (extra: Partial<PostView> = {}): PostView => ({
  id: 'ab'.repeat(32),
  channel: '#lobby',
  kind: 'POST',
  body: '',
  vote: 0,
  created: 1_700_000_000,
  expires: 1_700_086_400,
  score: 0,
  replies: 0,
  pseudonym: '0b7100b7'.padEnd(64, '0'),
  op: true,
  member: false,
  root: 'ab'.repeat(32),
  ...extra
} as PostView)
