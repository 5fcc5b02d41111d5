import { Injectable } from '@nestjs/common';
import { ModerationRepository } from '../team/repositories/moderation.repository';

/** How long the list of banned customers is trusted before it is read again. */
export const BAN_LIST_TTL_MS = 2000;

/**
 * Screens every private update for a ban without a query of its own: the ids of the customers banned
 * now are read at most once per BAN_LIST_TTL_MS (every update of a burst shares that one read), and only
 * a listed customer's update asks the database (ModerationRepository.screen: the exact state, and the one
 * polite answer). A ban made on this instance holds from its COMMIT on (`changed()`); one made on another
 * instance within BAN_LIST_TTL_MS.
 */
@Injectable()
export class BanScreen {
  private banned?: { ids: Set<number>; at: number };
  private loading?: Promise<Set<number>>;
  /** Bumped by `changed()`: a read that began before it is not kept. */
  private generation = 0;

  constructor(private readonly moderation: ModerationRepository) {}

  async screen(customerId: number): Promise<'free' | 'tell' | 'silent'> {
    const ids = await this.current();
    return ids.has(customerId) ? this.moderation.screen(customerId) : 'free';
  }

  /**
   * Whether the customer is on the list of bans in force, without the database's exact answer and
   * without using up the one polite answer (for updates that get none).
   */
  async isListed(customerId: number): Promise<boolean> {
    return (await this.current()).has(customerId);
  }

  /** A ban was made or lifted here (called after its COMMIT). */
  changed(): void {
    this.generation++;
    this.banned = undefined;
    this.loading = undefined;
  }

  private current(): Promise<Set<number>> {
    if (this.banned && Date.now() - this.banned.at < BAN_LIST_TTL_MS) return Promise.resolve(this.banned.ids);
    if (!this.loading) {
      const generation = this.generation;
      const at = Date.now();
      this.loading = this.moderation
        .bannedNow()
        .then((list) => {
          const ids = new Set(list);
          if (generation === this.generation) this.banned = { ids, at };
          return ids;
        })
        .finally(() => {
          if (generation === this.generation) this.loading = undefined;
        });
    }
    return this.loading;
  }
}
