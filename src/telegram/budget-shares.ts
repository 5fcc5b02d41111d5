import type { SendLimits } from './send-windows';

/**
 * The arithmetic of one Telegram budget shared by several instances (see shared-budget.service.ts for
 * the design): pure functions of what the instances wrote into `telegram_budget_members`.
 */

/** How often an instance writes its heartbeat and reads the others' (and the chats held after a 429). */
export const SYNC_EVERY_MS = 500;
/** An instance whose last heartbeat is older than this sends nothing until it has written one again. */
export const STOP_AFTER_MS = 2000;
/** A heartbeat older than this is a departed instance (it has stopped sending, see STOP_AFTER_MS). */
export const DEPARTED_AFTER_MS = 3000;
/** Network delay between a send leaving an instance and reaching Telegram, allowed for generously. */
const IN_TRANSIT_MS = 1000;

export const GLOBAL_WINDOW_MS = 1000;
export const GROUP_WINDOW_MS = 60_000;

/** One instance's part of the windowed limits: of the overall second, and of each group's minute by group id. */
export interface Claims {
  global: number;
  groups: Record<string, number>;
}

/** An instance as its row says, seen from another one. */
export interface Member {
  id: string;
  /** Milliseconds since its last heartbeat, by the database's clock. */
  ageMs: number;
  /** It shut down: it sends nothing more, only what it sent still counts. */
  left: boolean;
  /** The most it may have in each window (its caps). */
  caps: Claims;
  /** What it had in each window at its last heartbeat (in flight or answered less than a window ago). */
  used: Claims;
  /** The live instances it had seen when it wrote its heartbeat. */
  peers: string[];
}

export type BudgetLimits = Required<SendLimits>;

export const isLive = (member: Member): boolean => !member.left && member.ageMs < DEPARTED_AFTER_MS;

/** Milliseconds since a departed instance sent its last message, at the least. */
function stoppedAgoMs(member: Member): number {
  return member.left ? member.ageMs : member.ageMs - STOP_AFTER_MS;
}

/** How long a chat's bucket takes to refill from empty: a departed instance's recent sends to a chat are forgotten by then. */
export function drainMs(limits: BudgetLimits): number {
  return (1000 * limits.perChatBurst) / Math.min(limits.perChatPerSecond, limits.perGroupPerSecond) + IN_TRANSIT_MS;
}

type Scope = { kind: 'global' } | { kind: 'group'; id: string };

const capOf = (claims: Claims, scope: Scope) => (scope.kind === 'global' ? claims.global : (claims.groups[scope.id] ?? 0));

/**
 * The most another instance may still have in a window of this scope, now or later. A live instance
 * may fill its cap at any moment, and what it sent under an earlier, larger cap is still counted: the
 * larger of the two. A departed one sends no more: what it had, plus what its pace let it send between
 * its last heartbeat and stopping, until all of that has left the window.
 */
export function commitment(member: Member, scope: Scope, limits: BudgetLimits): number {
  const cap = capOf(member.caps, scope);
  const used = capOf(member.used, scope);
  if (isLive(member)) return Math.max(cap, used);
  const windowMs = scope.kind === 'global' ? GLOBAL_WINDOW_MS : GROUP_WINDOW_MS;
  if (stoppedAgoMs(member) >= windowMs + IN_TRANSIT_MS) return 0;
  if (member.left) return used;
  if (scope.kind === 'global') return Math.max(cap, used);
  const paced = limits.perChatBurst + (limits.perGroupPerSecond * STOP_AFTER_MS) / 1000;
  return Math.min(Math.max(cap, used), used + Math.ceil(paced));
}

/** A fair part of a windowed limit: whole messages, so that the parts of all instances add up to no more than the limit. */
export const fairPart = (limit: number, instances: number): number => Math.max(1, Math.floor(limit / instances));

/** What one instance should hold now, given the others' rows. */
export interface Plan {
  /** Live instances, this one included. */
  instances: number;
  /** Its fair part of each windowed limit. */
  fair: Claims;
  /** The most it may raise each cap to now: its fair part, or less while the others' recent sends take more. */
  room: Claims;
  /** Each chat's pace is divided by this: live instances, and departed ones until their sends to a chat have drained. */
  paceDivisor: number;
  /** Every live instance has seen this one (and so has lowered its own parts for it). */
  acknowledged: boolean;
  /** Another instance is live or departed lately: a newcomer's chat buckets start empty. */
  crowded: boolean;
}

export function plan(me: string, others: Member[], groups: Iterable<string>, limits: BudgetLimits): Plan {
  const live = others.filter(isLive);
  const instances = live.length + 1;
  const drain = drainMs(limits);
  const recent = others.filter((member) => !isLive(member) && stoppedAgoMs(member) < drain);
  const room = (scope: Scope, fair: number) => {
    const taken = others.reduce((sum, member) => sum + commitment(member, scope, limits), 0);
    return Math.max(0, Math.min(fair, Math.floor(scope.kind === 'global' ? limits.globalPerSecond - taken : limits.perGroupPerMinute - taken)));
  };
  const fairGlobal = fairPart(limits.globalPerSecond, instances);
  const fairGroup = fairPart(limits.perGroupPerMinute, instances);
  const fair: Claims = { global: fairGlobal, groups: {} };
  const roomFor: Claims = { global: room({ kind: 'global' }, fairGlobal), groups: {} };
  for (const id of new Set([...groups, ...others.flatMap((member) => [...Object.keys(member.caps.groups), ...Object.keys(member.used.groups)])])) {
    fair.groups[id] = fairGroup;
    roomFor.groups[id] = room({ kind: 'group', id }, fairGroup);
  }
  return {
    instances,
    fair,
    room: roomFor,
    paceDivisor: instances + recent.length,
    acknowledged: live.every((member) => member.peers.includes(me)),
    crowded: live.length + recent.length > 0,
  };
}

/** Each cap lowered to the fair part (at once, without asking anyone), never raised. */
export function lowered(caps: Claims, fair: Claims): Claims {
  const groups: Record<string, number> = {};
  for (const id of Object.keys(fair.groups)) groups[id] = Math.min(caps.groups[id] ?? 0, fair.groups[id]);
  return { global: Math.min(caps.global, fair.global), groups };
}

/** Each cap raised as far as the room allows (never lowered: lowering is `lowered`'s). */
export function raised(caps: Claims, room: Claims): Claims {
  const groups: Record<string, number> = {};
  for (const id of new Set([...Object.keys(caps.groups), ...Object.keys(room.groups)])) groups[id] = Math.max(caps.groups[id] ?? 0, room.groups[id] ?? 0);
  return { global: Math.max(caps.global, room.global), groups };
}

/** Whether any cap could be raised. */
export function canRaise(caps: Claims, room: Claims): boolean {
  return room.global > caps.global || Object.entries(room.groups).some(([id, value]) => value > (caps.groups[id] ?? 0));
}

export const NO_CLAIMS: Claims = { global: 0, groups: {} };
