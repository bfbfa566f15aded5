import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { ApiError, currentSession, Session, signIn, signOut, whenSignedOut } from './api.js';
import type { Stats } from './types.js';
import { ActivitiesPage, AuditPage, ControlsPage, JobsPage, LivePage, ReconcilePage } from './views.js';

/** Points of remaining stock kept per activity for its chart (about five minutes at one a second). */
const HISTORY_POINTS = 300;

function useHashRoute(): string {
  const [hash, setHash] = useState(location.hash || '#/live');
  useEffect(() => {
    const update = () => setHash(location.hash || '#/live');
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return hash;
}

/**
 * The one live connection of the page: server-sent events, about one a second, however many views show them. The
 * browser reconnects by itself after a drop; nothing on the page polls.
 */
function useStatsStream(enabled: boolean): { stats: Stats | null; history: Map<number, Array<[number, number]>>; connected: boolean } {
  const [stats, setStats] = useState<Stats | null>(null);
  const [connected, setConnected] = useState(false);
  const history = useRef(new Map<number, Array<[number, number]>>());
  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource('/api/admin/stream');
    source.addEventListener('stats', (event) => {
      const next = JSON.parse((event as MessageEvent<string>).data) as Stats;
      const at = Date.parse(next.at) / 1000;
      for (const activity of next.activities) {
        const points = history.current.get(activity.id) ?? [];
        points.push([at, activity.remaining]);
        if (points.length > HISTORY_POINTS) points.shift();
        history.current.set(activity.id, points);
      }
      setStats(next);
      setConnected(true);
    });
    source.onerror = () => setConnected(false);
    return () => source.close();
  }, [enabled]);
  return { stats, history: history.current, connected };
}

function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const session = await signIn(username, password);
      if (location.hash.includes('next=queues')) location.assign('/admin/queues');
      else onSignedIn(session);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section class="card signin">
      <h2>Operator sign-in</h2>
      <form class="stack" onSubmit={submit}>
        <label><span>Username</span><input name="username" autocomplete="username" value={username} onInput={(e) => setUsername((e.currentTarget as HTMLInputElement).value)} /></label>
        <label><span>Password</span><input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} /></label>
        {error !== null && <p class="error">{error instanceof ApiError ? error.message : String(error)}</p>}
        <button class="primary" type="submit">Sign in</button>
      </form>
    </section>
  );
}

const NAV: Array<[string, string]> = [
  ['#/live', 'Live'],
  ['#/activities', 'Activities'],
  ['#/controls', 'Switches & plans'],
  ['#/jobs', 'Failed jobs'],
  ['#/audit', 'Audit'],
];

function App() {
  const [session, setSession] = useState<Session | null>(currentSession());
  const route = useHashRoute();
  const { stats, history, connected } = useStatsStream(session !== null);
  useEffect(() => whenSignedOut(() => setSession(null)), []);

  if (!session) return <SignIn onSignedIn={(s) => { setSession(s); location.hash = '#/live'; }} />;
  const failedCount = Object.values(stats?.queues ?? {}).reduce((sum, queue) => sum + queue.failed, 0);
  const reconcile = /^#\/reconcile\/(\d+)/.exec(route);
  let page: JSX.Element;
  if (reconcile) page = <ReconcilePage id={Number(reconcile[1])} />;
  else if (route.startsWith('#/activities')) page = <ActivitiesPage />;
  else if (route.startsWith('#/controls')) page = <ControlsPage stats={stats} />;
  else if (route.startsWith('#/jobs')) page = <JobsPage failedCount={failedCount} />;
  else if (route.startsWith('#/audit')) page = <AuditPage />;
  else page = <LivePage stats={stats} history={history} />;
  return (
    <div>
      <header>
        <strong>seckill operations</strong>
        <nav>
          {NAV.map(([href, label]) => (
            <a key={href} href={href} class={route.startsWith(href) ? 'active' : ''}>
              {label}{href === '#/jobs' && failedCount > 0 ? ` (${failedCount})` : ''}
            </a>
          ))}
          <a href="/admin/queues" target="_blank" rel="noopener">Queue board</a>
        </nav>
        <span class="who">
          {connected ? '● live' : '○ reconnecting'} · {session.username}{' '}
          <button onClick={() => void signOut().then(() => setSession(null))}>Sign out</button>
        </span>
      </header>
      <main>{page}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
