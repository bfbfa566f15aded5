import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { Chart } from './chart.js';
import type { Activity, AuditEntry, FailedJob, PlanDefinition, Reconciliation, Stats, SwitchDefinition, SwitchValue } from './types.js';

const number = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function ErrorLine({ error }: { error: unknown }) {
  if (!error) return null;
  return <p class="error">{error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)}</p>;
}

/** Live sale view: everything in it comes from the one event stream. */
export function LivePage({ stats, history }: { stats: Stats | null; history: Map<number, Array<[number, number]>> }) {
  const [selected, setSelected] = useState<number | null>(null);
  if (!stats) return <p class="muted">Waiting for the live stream…</p>;
  const focus = stats.activities.find((a) => a.id === selected) ?? stats.activities.find((a) => a.status === 'ACTIVE') ?? stats.activities[0];
  const times = stats.series.map((s) => s.at / 1000);
  const throughput = [times, stats.series.map((s) => s.requests), stats.series.map((s) => s.purchases), stats.series.map((s) => s.accepted)];
  const points = (focus && history.get(focus.id)) ?? [];
  const stock = [points.map((p) => p[0]), points.map((p) => p[1])];
  const codes = [...new Set([...Object.keys(stats.rejections.totals), ...Object.keys(stats.rejections.perSecond)])].sort();
  return (
    <div>
      {stats.plan && (
        <div class="banner" data-testid="plan-banner">
          Degradation plan <b>{stats.plan.name}</b> in force{stats.plan.auto ? ' (entered automatically)' : ''} since{' '}
          {new Date(stats.plan.at).toLocaleTimeString()}.
        </div>
      )}
      <section class="card kpis">
        <Kpi label="requests / s" value={number(stats.requestsPerSecond, 1)} />
        <Kpi label="purchases / s" value={number(stats.purchases.perSecond, 1)} />
        <Kpi label="accepted / s" value={number(stats.purchases.acceptedPerSecond, 1)} />
        <Kpi label="purchase p99" value={stats.purchases.p99Ms === null ? '–' : `${number(stats.purchases.p99Ms, 1)} ms`} />
        <Kpi label="relay backlog" value={number(stats.relay.backlog)} />
        <div class="kpi">
          <b>
            <span class={`badge ${stats.breaker?.state ?? ''}`} data-testid="breaker">
              {stats.breaker?.state ?? 'unknown'}
            </span>
          </b>
          <span>payment breaker</span>
        </div>
      </section>
      <section class="card">
        <h3>Activities</h3>
        <table data-testid="live-activities">
          <thead>
            <tr>
              <th>activity</th><th>status</th><th>stock</th><th>remaining</th><th>reserved</th><th>orders created</th><th>paid</th><th>cancelled</th><th>sold</th>
            </tr>
          </thead>
          <tbody>
            {stats.activities.map((a) => (
              <tr key={a.id} data-activity={a.id} onClick={() => setSelected(a.id)} style={{ cursor: 'pointer', fontWeight: a.id === focus?.id ? 600 : 400 }}>
                <td>#{a.id} {a.title}</td>
                <td><span class={`badge ${a.status}`} data-field="status">{a.status}</span></td>
                <td>{a.stock}</td>
                <td data-field="remaining">{a.remaining}</td>
                <td data-field="reserved">{a.reserved}</td>
                <td data-field="created">{a.ordersCreated}</td>
                <td data-field="paid">{a.ordersPaid}</td>
                <td data-field="cancelled">{a.ordersCancelled}</td>
                <td style={{ width: '120px' }}>
                  <div class="bar"><div style={{ width: `${a.stock ? (100 * (a.stock - a.remaining)) / a.stock : 0}%` }} /></div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <div class="grid">
        <section class="card">
          <Chart
            title="Throughput (per second, all instances)"
            series={[{ label: 'requests', stroke: '#98a2b3' }, { label: 'purchases', stroke: '#2e90fa' }, { label: 'accepted', stroke: '#12b76a' }]}
            data={throughput}
          />
        </section>
        <section class="card">
          <Chart title={focus ? `Remaining stock: #${focus.id} ${focus.title}` : 'Remaining stock'} series={[{ label: 'remaining', stroke: '#d92d20' }]} data={stock} />
        </section>
      </div>
      <div class="grid">
        <section class="card">
          <h3>Purchase rejections</h3>
          <table data-testid="rejections">
            <thead><tr><th>code</th><th>per second</th><th>since start</th></tr></thead>
            <tbody>
              {codes.length === 0 && <tr><td colSpan={3} class="muted">none</td></tr>}
              {codes.map((code) => (
                <tr key={code} data-code={code}>
                  <td>{code}</td>
                  <td>{number(stats.rejections.perSecond[code] ?? 0, 1)}</td>
                  <td data-field="total">{stats.rejections.totals[code] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card">
          <h3>Queues</h3>
          <table data-testid="queues">
            <thead><tr><th>queue</th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th></tr></thead>
            <tbody>
              {Object.entries(stats.queues).map(([name, q]) => (
                <tr key={name}><td>{name}</td><td>{q.waiting}</td><td>{q.active}</td><td>{q.delayed}</td><td>{q.failed > 0 ? <a href="#/jobs">{q.failed}</a> : 0}</td></tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}

function Kpi({ label, value }: { label: string; value: string }) {
  return (
    <div class="kpi">
      <b>{value}</b>
      <span>{label}</span>
    </div>
  );
}

const toLocalInput = (iso: string) => {
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

interface FormState {
  title: string;
  description: string;
  priceCents: string;
  originalPriceCents: string;
  stock: string;
  stockShards: string;
  startAt: string;
  endAt: string;
  paymentTimeoutSeconds: string;
}

const FIELDS: Array<{ name: keyof FormState; label: string; type: 'text' | 'number' | 'datetime-local' }> = [
  { name: 'title', label: 'Title', type: 'text' },
  { name: 'description', label: 'Description', type: 'text' },
  { name: 'priceCents', label: 'Price (cents)', type: 'number' },
  { name: 'originalPriceCents', label: 'Original price (cents, optional)', type: 'number' },
  { name: 'stock', label: 'Stock (units)', type: 'number' },
  { name: 'stockShards', label: 'Stock keys (1-64)', type: 'number' },
  { name: 'startAt', label: 'Start (local time)', type: 'datetime-local' },
  { name: 'endAt', label: 'End (local time)', type: 'datetime-local' },
  { name: 'paymentTimeoutSeconds', label: 'Payment timeout (s)', type: 'number' },
];

function emptyForm(): FormState {
  const start = new Date(Date.now() + 5 * 60_000).toISOString();
  const end = new Date(Date.now() + 65 * 60_000).toISOString();
  return { title: '', description: '', priceCents: '', originalPriceCents: '', stock: '', stockShards: '1', startAt: toLocalInput(start), endAt: toLocalInput(end), paymentTimeoutSeconds: '900' };
}

function formOf(activity: Activity): FormState {
  return {
    title: activity.title,
    description: activity.description,
    priceCents: String(activity.priceCents),
    originalPriceCents: activity.originalPriceCents === null ? '' : String(activity.originalPriceCents),
    stock: String(activity.stock),
    stockShards: '',
    startAt: toLocalInput(activity.startAt),
    endAt: toLocalInput(activity.endAt),
    paymentTimeoutSeconds: '',
  };
}

/** The body the API takes: numbers as numbers, local times as ISO-8601, blanks left out (the API's defaults). */
function bodyOf(form: FormState): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const { name, type } of FIELDS) {
    const value = form[name].trim();
    if (value === '') continue;
    if (type === 'number') body[name] = Number(value);
    else if (type === 'datetime-local') body[name] = Number.isNaN(Date.parse(value)) ? value : new Date(value).toISOString();
    else body[name] = value;
  }
  return body;
}

function ActivityForm({ initial, submitLabel, onSubmit }: { initial: FormState; submitLabel: string; onSubmit: (body: Record<string, unknown>) => Promise<void> }) {
  const [form, setForm] = useState(initial);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const problems = (field: string) =>
    error instanceof ApiError ? error.details.filter((d) => d.field === field).flatMap((d) => d.problems) : [];
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(bodyOf(form));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack" onSubmit={submit} noValidate>
      <div class="grid">
        {FIELDS.map(({ name, label, type }) => (
          <label key={name}>
            <span>{label}</span>
            <input
              name={name}
              // Preact types an input's attributes by its type; these three take the same ones (name, value, onInput).
              {...({ type } as { type: 'text' })}
              value={form[name]}
              onInput={(e) => setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value })}
            />
            {problems(name).map((p) => (
              <div class="problems" key={p}>{p}</div>
            ))}
          </label>
        ))}
      </div>
      <ErrorLine error={error} />
      <button class="primary" type="submit" disabled={busy}>{submitLabel}</button>
    </form>
  );
}

export function ActivitiesPage() {
  const [activities, setActivities] = useState<Activity[]>([]);
  const [editing, setEditing] = useState<Activity | null>(null);
  const [creating, setCreating] = useState(false);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>(null);
  const load = () => api<Activity[]>('/api/admin/activities').then(setActivities, setError);
  useEffect(() => void load(), []);
  const prewarm = async (activity: Activity) => {
    setError(null);
    try {
      const { remaining } = await api<{ remaining: number }>(`/api/admin/activities/${activity.id}/prewarm`, { method: 'POST' });
      setMessage(`#${activity.id} prewarmed: ${remaining} units in Redis`);
      await load();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <div>
      <section class="card">
        <div class="row" style={{ justifyContent: 'space-between' }}>
          <h2>Activities</h2>
          <button class="primary" onClick={() => { setCreating(!creating); setEditing(null); }}>{creating ? 'Close' : 'New activity'}</button>
        </div>
        {message && <p data-testid="message">{message}</p>}
        <ErrorLine error={error} />
        <table data-testid="activities">
          <thead><tr><th>#</th><th>title</th><th>status</th><th>price</th><th>stock</th><th>remaining</th><th>start</th><th>end</th><th /></tr></thead>
          <tbody>
            {activities.map((a) => (
              <tr key={a.id} data-activity={a.id}>
                <td>{a.id}</td>
                <td>{a.title}</td>
                <td><span class={`badge ${a.status}`}>{a.status}</span></td>
                <td>{(a.priceCents / 100).toFixed(2)}</td>
                <td>{a.stock}</td>
                <td>{a.remaining}</td>
                <td>{new Date(a.startAt).toLocaleString()}</td>
                <td>{new Date(a.endAt).toLocaleString()}</td>
                <td class="row">
                  <button onClick={() => void prewarm(a)}>Prewarm</button>
                  <button onClick={() => { setEditing(a); setCreating(false); }}>Edit</button>
                  <a href={`#/reconcile/${a.id}`}>Reconcile</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {creating && (
        <section class="card" data-testid="create-form">
          <h2>New activity</h2>
          <ActivityForm
            initial={emptyForm()}
            submitLabel="Create"
            onSubmit={async (body) => {
              const created = await api<Activity>('/api/admin/activities', { body });
              setMessage(`#${created.id} created (${created.status})`);
              setCreating(false);
              await load();
            }}
          />
        </section>
      )}
      {editing && (
        <section class="card" key={editing.id}>
          <h2>Edit #{editing.id}</h2>
          <p class="muted">Price, stock and times can change only before the start.</p>
          <ActivityForm
            initial={formOf(editing)}
            submitLabel="Save"
            onSubmit={async (body) => {
              await api<Activity>(`/api/admin/activities/${editing.id}`, { method: 'PATCH', body });
              setMessage(`#${editing.id} saved`);
              setEditing(null);
              await load();
            }}
          />
        </section>
      )}
    </div>
  );
}

export function ReconcilePage({ id }: { id: number }) {
  const [result, setResult] = useState<Reconciliation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = () => api<Reconciliation>(`/api/admin/reconciliation?activityId=${id}`).then(setResult, setError);
  useEffect(() => void run(), [id]);
  return (
    <section class="card" data-testid="reconciliation">
      <div class="row" style={{ justifyContent: 'space-between' }}>
        <h2>Reconciliation of activity #{id}</h2>
        <button onClick={() => void run()}>Run again</button>
      </div>
      <ErrorLine error={error} />
      {result && (
        <div>
          <p>
            <span class={`badge ${result.consistent ? 'ok' : 'bad'}`} data-testid="consistent">{result.consistent ? 'CONSISTENT' : 'MISMATCH'}</span>{' '}
            <span class="muted">Redis and MySQL held against each other{result.inFlight > 0 ? `; ${result.inFlight} job(s) still draining` : ''}.</span>
          </p>
          <table>
            <tbody>
              <tr><th>stock</th><td>{result.stock}</td></tr>
              <tr><th>remaining (Redis)</th><td>{result.remaining}</td></tr>
              <tr><th>reserved (Redis)</th><td>{result.reserved}</td></tr>
              <tr><th>orders pending payment</th><td>{result.orders.pendingPayment}</td></tr>
              <tr><th>orders paid</th><td>{result.orders.paid}</td></tr>
              <tr><th>orders cancelled</th><td>{result.orders.cancelled}</td></tr>
              <tr><th>payments succeeded</th><td>{result.payments.succeeded}</td></tr>
            </tbody>
          </table>
          {result.mismatches.length > 0 && (
            <ul class="error" data-testid="mismatches">{result.mismatches.map((m) => <li key={m}>{m}</li>)}</ul>
          )}
        </div>
      )}
    </section>
  );
}

/** Switches, rendered from their definitions (boolean → checkbox, integer → number, enum → select), and plans. */
export function ControlsPage({ stats }: { stats: Stats | null }) {
  const [definitions, setDefinitions] = useState<Record<string, SwitchDefinition>>({});
  const [values, setValues] = useState<Record<string, SwitchValue>>({});
  const [plans, setPlans] = useState<PlanDefinition[]>([]);
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Record<string, SwitchDefinition>>('/api/admin/switches/definitions').then(setDefinitions, setError);
    api<Record<string, SwitchValue>>('/api/admin/switches').then(setValues, setError);
    api<{ plans: PlanDefinition[] }>('/api/admin/plans').then((answer) => setPlans(answer.plans), setError);
  }, []);
  // The stream keeps the values current (changes from another operator or instance show within a second).
  const current = stats?.switches ?? values;
  const active = stats?.plan ?? null;
  const act = async (action: () => Promise<{ switches: Record<string, SwitchValue> } | Record<string, SwitchValue>>) => {
    setError(null);
    try {
      const answer = await action();
      setValues('switches' in answer && typeof answer.switches === 'object' ? (answer.switches as Record<string, SwitchValue>) : (answer as Record<string, SwitchValue>));
    } catch (failure) {
      setError(failure);
    }
  };
  const put = (name: string, value: unknown) => act(() => api(`/api/admin/switches/${name}`, { method: 'PUT', body: { value } }));
  return (
    <div>
      <ErrorLine error={error} />
      <section class="card" data-testid="plans">
        <h2>Degradation plans</h2>
        <p class="muted">Each level includes the one below. Revert puts back the switch values from before the plan.</p>
        <table>
          <tbody>
            {plans.map((plan) => (
              <tr key={plan.name} data-plan={plan.name}>
                <td>
                  <b>{plan.title}</b> {active?.name === plan.name && <span class="badge warn">in force{active.auto ? ' (auto)' : ''}</span>}
                  <div class="muted">{plan.description}</div>
                </td>
                <td class="row" style={{ flexWrap: 'nowrap' }}>
                  <button class="primary" onClick={() => void act(() => api(`/api/admin/plans/${plan.name}/apply`, { method: 'POST' }))}>Apply</button>
                  <button disabled={active?.name !== plan.name} onClick={() => void act(() => api(`/api/admin/plans/${plan.name}/revert`, { method: 'POST' }))}>Revert</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card" data-testid="switches">
        <h2>Switches</h2>
        <table>
          <tbody>
            {Object.entries(definitions).map(([name, definition]) => (
              <tr key={name} data-switch={name}>
                <td><b>{name}</b><div class="muted">{definition.description}</div></td>
                <td style={{ whiteSpace: 'nowrap' }}>
                  {definition.type === 'boolean' && (
                    <label>
                      <input type="checkbox" checked={current[name] === true} onChange={(e) => void put(name, (e.currentTarget as HTMLInputElement).checked)} />{' '}
                      {current[name] === true ? 'on' : 'off'}
                    </label>
                  )}
                  {definition.type === 'integer' && (
                    <span class="row" style={{ flexWrap: 'nowrap' }}>
                      <input type="number" min={definition.min} max={definition.max} style={{ width: '6rem' }} value={drafts[name] ?? String(current[name] ?? definition.default)} onInput={(e) => setDrafts({ ...drafts, [name]: (e.currentTarget as HTMLInputElement).value })} />
                      <button onClick={() => { void put(name, Number(drafts[name] ?? current[name])); setDrafts({ ...drafts, [name]: undefined as unknown as string }); }}>Set</button>
                      <span class="muted">{definition.min}–{definition.max}</span>
                    </span>
                  )}
                  {definition.type === 'enum' && (
                    <select value={String(current[name] ?? definition.default)} onChange={(e) => void put(name, (e.currentTarget as HTMLSelectElement).value)}>
                      {definition.values.map((v) => <option key={v} value={v}>{v}</option>)}
                    </select>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

export function JobsPage({ failedCount }: { failedCount: number }) {
  const [failed, setFailed] = useState<FailedJob[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const load = () => api<{ failed: FailedJob[] }>('/api/admin/queues').then((answer) => setFailed(answer.failed), setError);
  // Reloaded when the stream says the number of failed jobs changed: no polling of its own.
  useEffect(() => void load(), [failedCount]);
  const act = async (job: FailedJob, action: 'retry' | 'discard') => {
    setError(null);
    try {
      const answer = await api<{ state: string; released?: number }>(`/api/admin/queues/${job.queue}/jobs/${encodeURIComponent(job.id)}/${action}`, { method: 'POST' });
      setMessage(`${job.queue} ${job.id}: ${action === 'retry' ? `retried (${answer.state})` : `discarded${answer.released ? `, ${answer.released} unit(s) back in stock` : ''}`}`);
      await load();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section class="card" data-testid="failed-jobs">
      <div class="row" style={{ justifyContent: 'space-between' }}>
        <h2>Jobs that failed for good</h2>
        <a href="/admin/queues" target="_blank" rel="noopener">Open the queue board</a>
      </div>
      {message && <p>{message}</p>}
      <ErrorLine error={error} />
      <table>
        <thead><tr><th>queue</th><th>job</th><th>reason</th><th>attempts</th><th>failed at</th><th /></tr></thead>
        <tbody>
          {failed.length === 0 && <tr><td colSpan={6} class="muted">none</td></tr>}
          {failed.map((job) => (
            <tr key={`${job.queue}/${job.id}`}>
              <td>{job.queue}</td>
              <td><code>{job.id}</code></td>
              <td>{job.reason}</td>
              <td>{job.attemptsMade}</td>
              <td>{job.failedAt ? new Date(job.failedAt).toLocaleString() : ''}</td>
              <td class="row" style={{ flexWrap: 'nowrap' }}>
                <button onClick={() => void act(job, 'retry')}>Retry</button>
                <button onClick={() => void act(job, 'discard')}>Discard</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function AuditPage() {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = async (after: string | null) => {
    try {
      const page = await api<{ items: AuditEntry[]; nextCursor: string | null }>(`/api/admin/audit?limit=50${after ? `&cursor=${after}` : ''}`);
      setEntries((previous) => (after ? [...previous, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => void load(null), []);
  const show = (value: unknown) => (value === null || value === undefined ? '' : JSON.stringify(value));
  return (
    <section class="card" data-testid="audit">
      <h2>Audit log</h2>
      <ErrorLine error={error} />
      <table>
        <thead><tr><th>when</th><th>who</th><th>what</th><th>target</th><th>before</th><th>after</th></tr></thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>{new Date(entry.at).toLocaleString()}</td>
              <td>{entry.actor}</td>
              <td>{entry.action}</td>
              <td>{entry.target}</td>
              <td><pre>{show(entry.before)}</pre></td>
              <td><pre>{show(entry.after)}</pre></td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && <button onClick={() => void load(cursor)}>Load more</button>}
    </section>
  );
}
