import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { parse as parseYaml } from 'yaml';
import { BotApiEmulator } from '../src/sandbox/emulator';
import { createTestDatabase } from './support/database';
import { ackFor, chooseCategory, sleep } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/**
 * No Docker daemon runs here, so the image is checked without one: the Dockerfile and the compose file
 * are parsed and linted, and the image's stages are carried out by hand from a build context made the
 * way Docker makes it (.dockerignore applied): the build stage's `npm run build`, a clean
 * `npm ci --omit=dev`, the runtime stage's COPYs, then its CMD and HEALTHCHECK, as the container would run them.
 */
const root = join(__dirname, '..');
const dockerfileText = readFileSync(join(root, 'Dockerfile'), 'utf8');

interface Step {
  keyword: string;
  args: string[];
  content: string;
  from?: string;
}
interface Stage {
  name: string | null;
  steps: Step[];
}

function stagesOf(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const keyword = instruction.getKeyword();
    const step: Step = {
      keyword,
      args: instruction.getArguments().map((a) => a.getValue()),
      content: instruction.getArgumentsContent() ?? '',
      from: (instruction as { getFromFlag?: () => { getValue(): string | null } | null }).getFromFlag?.()?.getValue() ?? undefined,
    };
    if (keyword === 'FROM') stages.push({ name: (instruction as unknown as { getBuildStage(): string | null }).getBuildStage(), steps: [] });
    stages.at(-1)?.steps.push(step);
  }
  return stages;
}

const stages = stagesOf(dockerfileText);
const runtime = stages.at(-1)!;
const stepsOf = (stage: Stage, keyword: string) => stage.steps.filter((s) => s.keyword === keyword);
/** The JSON (exec) form of CMD, or of HEALTHCHECK's CMD. */
const execForm = (step: Step) => JSON.parse(step.content.replace(/^CMD\s+/, '')) as string[];

/** .dockerignore, as Docker reads it for these simple patterns: a path, a folder and all below it, `*` within a name. */
function dockerignore(): (path: string) => boolean {
  const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`));
  return (path) => patterns.some((pattern) => pattern.test(path));
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, NODE_ENV: '' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('the Docker image, checked without a Docker daemon', () => {
  it('has a Dockerfile the linter accepts: non-root, a HEALTHCHECK on /health, node itself as the entry point', () => {
    expect(validate(dockerfileText).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', null]);
    expect(stepsOf(stages[0], 'RUN').map((s) => s.content)).toContain('npm run build');
    expect(stepsOf(stages[1], 'RUN').map((s) => s.content).join(' ')).toMatch(/npm ci --omit=dev/);

    const user = stepsOf(runtime, 'USER').at(-1);
    expect(user?.args[0]).toBeDefined();
    expect(user?.args[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(stepsOf(runtime, 'ENV').map((s) => s.content)).toContain('NODE_ENV=production');
    const [healthcheck] = stepsOf(runtime, 'HEALTHCHECK');
    expect(execForm(healthcheck).join(' ')).toContain('/health');
    expect(execForm(stepsOf(runtime, 'CMD')[0])).toEqual(['node', 'dist/src/main.js']);
    // Nothing of the sandbox is copied from the context.
    expect(stages.flatMap((s) => stepsOf(s, 'COPY')).flatMap((s) => s.args).filter((a) => a.includes('sandbox'))).toEqual([]);
    expect(dockerignore()('src/sandbox/emulator/emulator.ts')).toBe(true);
    expect(dockerignore()('.env')).toBe(true);
    expect(dockerignore()('src/main.ts')).toBe(false);
  });

  it('has a compose file that parses and names the bot and its PostgreSQL with a volume, secrets from .env', () => {
    const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, Record<string, unknown>>;
      volumes: Record<string, unknown>;
    };
    expect(Object.keys(compose.services).sort()).toEqual(['bot', 'postgres']);
    const { bot, postgres } = compose.services as Record<string, Record<string, unknown> & { environment: Record<string, string> }>;
    expect(bot.build).toBe('.');
    expect([bot.env_file].flat()).toContain('.env');
    expect(bot.environment.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
    expect(bot.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(String(postgres.image)).toMatch(/^postgres:\d+/);
    const volume = (postgres.volumes as string[]).find((v) => v.endsWith(':/var/lib/postgresql/data'));
    expect(volume).toBeDefined();
    expect(Object.keys(compose.volumes)).toContain(volume!.split(':')[0]);
    expect((postgres.healthcheck as { test: string[] }).test).toContain('pg_isready');
    expect(existsSync(join(root, '.env.example'))).toBe(true);
  });

  describe('built and run by hand, stage by stage', () => {
    let work: string;
    const stageDirs = new Map<string, string>();
    let image: string;

    beforeAll(() => {
      work = mkdtempSync(join(tmpdir(), 'helpdesk-image-'));
      const context = join(work, 'context');
      const ignored = dockerignore();
      cpSync(root, context, { recursive: true, filter: (source) => source === root || !ignored(relative(root, source)) });

      for (const [index, stage] of stages.entries()) {
        const dir = join(work, stage.name ?? `stage-${index}`);
        mkdirSync(dir);
        for (const step of stage.steps) {
          if (step.keyword === 'WORKDIR') expect(step.args).toEqual(['/app']);
          if (step.keyword === 'COPY') {
            const sources = step.args.slice(0, -1);
            const target = join(dir, step.args.at(-1)!);
            for (const source of sources) {
              const from = step.from ? join(stageDirs.get(step.from)!, relative('/app', source)) : join(context, source);
              const to = target.endsWith('/') || step.args.at(-1)!.endsWith('/') ? join(target, source.split('/').at(-1)!) : target;
              mkdirSync(dirname(to), { recursive: true });
              cpSync(from, to, { recursive: true, verbatimSymlinks: true });
            }
          }
          if (step.keyword === 'RUN') {
            for (const command of step.content.split('&&').map((c) => c.trim())) {
              if (command === 'npm ci --no-audit --no-fund') symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules')); // the full install the repo already has
              else if (command === 'npm run build') run('npm', ['run', 'build'], dir);
              else if (command.startsWith('npm ci --omit=dev')) run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], dir);
              else if (command === 'npm cache clean --force' || command.startsWith('chown ')) continue;
              else if (command.startsWith('mkdir -p /app/')) mkdirSync(join(dir, relative('/app', command.split(' ').at(-1)!)), { recursive: true });
              else throw new Error(`the test does not know how to carry out RUN ${command}`);
            }
          }
        }
        if (stage.name) stageDirs.set(stage.name, dir);
        else image = dir;
      }
    }, 600_000);
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('contains no sandbox code and no development dependencies', () => {
      expect(existsSync(join(work, 'context/src/sandbox'))).toBe(false);
      const built = filesUnder(join(image, 'dist'));
      expect(built).toContain('src/main.js');
      expect(built.filter((file) => file.includes('sandbox'))).toEqual([]);
      const requiresSandbox = built
        .filter((file) => file.endsWith('.js'))
        .filter((file) => /require\("[^"]*sandbox[^"]*"\)/.test(readFileSync(join(image, 'dist', file), 'utf8')));
      expect(requiresSandbox).toEqual([]);
      for (const dev of ['jest', 'pino-pretty', 'vite', '@nestjs/cli', 'playwright-core']) expect(existsSync(join(image, 'node_modules', dev))).toBe(false);
      for (const needed of ['@nestjs/core', 'pino', 'prom-client', 'pg-boss']) expect(existsSync(join(image, 'node_modules', needed))).toBe(true);
    });

    it("runs the image's CMD: JSON logs, a ticket acknowledged, /ready and the HEALTHCHECK pass, and SIGTERM ends it with 0 within Docker's 10 s", async () => {
      const emu = new BotApiEmulator();
      await emu.start();
      const database = await createTestDatabase();
      const port = await freePort();
      const env = Object.fromEntries(stepsOf(runtime, 'ENV').map((s) => s.content.split('=') as [string, string]));
      const [command, ...args] = execForm(stepsOf(runtime, 'CMD')[0]);
      expect(command).toBe('node');
      const output: string[] = [];
      let child: ChildProcess | undefined;
      try {
        child = spawn(process.execPath, args, {
          cwd: image,
          env: {
            PATH: process.env.PATH ?? '',
            ...env,
            BOT_TOKEN: emu.token,
            SUPPORT_CHAT_ID: String(emu.supportChatId),
            TELEGRAM_API_ROOT: emu.apiRoot,
            DATABASE_URL: database.url,
            PORT: String(port),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let partial = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          const lines = (partial + chunk.toString('utf8')).split('\n');
          partial = lines.pop()!;
          output.push(...lines.filter(Boolean));
        });
        child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
        const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

        await emu.waitFor(() => output.some((line) => line.includes('helpdesk is up')) || undefined, { what: 'the app to start', timeoutMs: 30_000 });
        await emu.waitFor(() => emu.callRecords('getUpdates').length > 0 || undefined, { what: 'polling' });
        const customer = emu.createUser({ first_name: 'Ida', language_code: 'en' });
        await chooseCategory(emu, customer);
        emu.userSendText(customer.id, 'the printer prints only blank pages');
        await emu.waitFor(() => ackFor(emu, customer.id), { what: 'the acknowledgement' });
        const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.includes('printer')), { what: 'the topic' });
        await emu.waitFor(() => topicMessages(emu, topic.message_thread_id).find((m) => m.text === 'the printer prints only blank pages'), { what: 'the copy' });

        let ready = await fetch(`http://127.0.0.1:${port}/ready`);
        for (let i = 0; i < 50 && ready.status !== 200; i++) {
          await sleep(200);
          ready = await fetch(`http://127.0.0.1:${port}/ready`);
        }
        expect(ready.status).toBe(200);
        expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/^helpdesk_ack_seconds_count 1$/m);
        const [probe, ...probeArgs] = execForm(stepsOf(runtime, 'HEALTHCHECK')[0]);
        expect(probe).toBe('node');
        expect(spawnSync(process.execPath, probeArgs, { env: { PATH: process.env.PATH ?? '', PORT: String(port) }, timeout: 10_000 }).status).toBe(0);

        // Docker's stop: SIGTERM, then SIGKILL after 10 s.
        child.kill('SIGTERM');
        let killAt: NodeJS.Timeout | undefined;
        const code = await Promise.race([exited, new Promise((resolve) => (killAt = setTimeout(() => resolve('still running after 10 s'), 10_000)))]);
        clearTimeout(killAt);
        expect(code).toBe(0);

        const parsed = output.map((line) => {
          try {
            return JSON.parse(line) as { level: string; msg: string };
          } catch {
            throw new Error(`not a JSON log line: ${line}`);
          }
        });
        expect(parsed.find((line) => line.msg === 'shutting down (SIGTERM)')).toMatchObject({ level: 'info' });
        expect(output.join('\n')).not.toContain('the printer prints only blank pages');
      } finally {
        if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await emu.stop();
        await database.drop();
      }
    });
  });
});
