import { ChatSequencer } from './chat-sequencer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ChatSequencer', () => {
  it('runs the tasks of one chat in order, even when the first is slower', async () => {
    const sequencer = new ChatSequencer();
    const done: string[] = [];
    await Promise.all([
      sequencer.run('a', async () => {
        await sleep(30);
        done.push('a1');
      }),
      sequencer.run('a', async () => {
        done.push('a2');
      }),
    ]);
    expect(done).toEqual(['a1', 'a2']);
  });

  it('does not make one chat wait for another', async () => {
    const sequencer = new ChatSequencer();
    const done: string[] = [];
    await Promise.all([
      sequencer.run('a', async () => {
        await sleep(30);
        done.push('a');
      }),
      sequencer.run('b', async () => {
        done.push('b');
      }),
    ]);
    expect(done).toEqual(['b', 'a']);
  });

  it('goes on after a failed task and forgets idle chats', async () => {
    const sequencer = new ChatSequencer();
    await expect(sequencer.run('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const after = jest.fn(async () => undefined);
    await sequencer.run('a', after);
    expect(after).toHaveBeenCalled();
    await sleep(0);
    expect(sequencer.size).toBe(0);
  });
});
