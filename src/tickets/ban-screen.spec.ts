import type { ModerationRepository } from '../team/repositories/moderation.repository';
import { BAN_LIST_TTL_MS, BanScreen } from './ban-screen.service';

function setup(banned: number[]) {
  const list = [...banned];
  const moderation = {
    bannedNow: jest.fn(async () => [...list]),
    screen: jest.fn(async () => 'tell' as const),
  };
  return { list, moderation, screen: new BanScreen(moderation as unknown as ModerationRepository) };
}

describe('BanScreen', () => {
  afterEach(() => jest.useRealTimers());

  it('screens a burst with one read of the ban list, and asks the database only about a listed customer', async () => {
    const { moderation, screen } = setup([7]);
    const results = await Promise.all([1, 2, 3, 7, 4].map((id) => screen.screen(id)));
    expect(results).toEqual(['free', 'free', 'free', 'tell', 'free']);
    expect(moderation.bannedNow).toHaveBeenCalledTimes(1);
    expect(moderation.screen).toHaveBeenCalledTimes(1);
    expect(moderation.screen).toHaveBeenCalledWith(7);
  });

  it('reads the list again once it is older than its TTL, or at once after a ban made here', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { list, moderation, screen } = setup([]);
    expect(await screen.screen(5)).toBe('free');
    list.push(5);
    expect(await screen.screen(5)).toBe('free');
    screen.changed();
    expect(await screen.screen(5)).toBe('tell');
    expect(moderation.bannedNow).toHaveBeenCalledTimes(2);

    list.length = 0;
    jest.setSystemTime(1_000_000 + BAN_LIST_TTL_MS + 1);
    expect(await screen.screen(5)).toBe('free');
    expect(moderation.bannedNow).toHaveBeenCalledTimes(3);
  });

  it('does not keep a list read before a ban made here, and fails like the query when the database is away', async () => {
    const { list, moderation, screen } = setup([]);
    let release!: () => void;
    moderation.bannedNow.mockImplementationOnce(() => new Promise<number[]>((resolve) => (release = () => resolve([]))));
    const early = screen.screen(9);
    list.push(9);
    screen.changed();
    release();
    expect(await early).toBe('free');
    expect(await screen.screen(9)).toBe('tell');

    moderation.bannedNow.mockRejectedValueOnce(new Error('connect ECONNREFUSED'));
    screen.changed();
    await expect(screen.screen(9)).rejects.toThrow('ECONNREFUSED');
    expect(await screen.screen(9)).toBe('tell');
  });

  it('tells from the same list whether a customer is banned without using up their one polite answer', async () => {
    const { moderation, screen } = setup([7]);
    expect(await screen.isListed(7)).toBe(true);
    expect(await screen.isListed(8)).toBe(false);
    expect(moderation.screen).not.toHaveBeenCalled();
    expect(await screen.screen(7)).toBe('tell');
    expect(moderation.bannedNow).toHaveBeenCalledTimes(1);
  });
});
