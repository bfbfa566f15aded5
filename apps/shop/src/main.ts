// The shop page: lists the sales, counts down to each start by the server's clock, and walks a shopper through the
// front door (waiting room, staggered entry, proof-of-work in a worker) to a purchase and its order. It honours what
// the server asks of clients (/api/client-config): at most one click per clickThrottleMs, dropPercent of clicks
// dropped before sending, result polling from resultPollMs with backoff and Retry-After.
import type { ActivityView, ReservationResult } from '@seckill/contracts';
import { api, ApiError, ServerClock, sleep } from './api';
import { defaultLang, ERROR_MESSAGES, format, Lang, TEXT, TextKey } from './i18n';

/** Set by the build: the hashed URL of the solver worker. */
declare const __SOLVER_URL__: string;

interface ClientConfig {
  dropPercent: number;
  resultPollMs: number;
  clickThrottleMs: number;
  serverTime: number;
  authUrl: string;
}
interface QueuePlace {
  position: number;
  servingPosition: number;
  estimatedWaitSeconds: number;
  status: 'WAITING' | 'ADMITTED' | 'EXPIRED' | 'CLOSED';
}
interface Session {
  username: string;
  accessToken: string;
}

const LIST_REFRESH_MS = 5000;
const TICK_MS = 250;
const MAX_POLL_MS = 10_000;
/** After this long still QUEUED, the shopper is told the order is on its way (seed 003's wording). */
const SLOW_ORDER_MS = 5000;
const GIVE_UP_POLLING_MS = 120_000;

const clock = new ServerClock();
let lang: Lang = (localStorage.getItem('lang') as Lang | null) ?? defaultLang();
let config: ClientConfig = { dropPercent: 0, resultPollMs: 1000, clickThrottleMs: 5000, serverTime: Date.now(), authUrl: '' };
let session: Session | null = readSession();
let activities: ActivityView[] = [];
/** When the last click was sent (performance.now()), for the click throttle. */
let lastClickAt = -Infinity;
/** Activities whose purchase flow is running (a click there starts nothing more). */
const running = new Set<number>();
const messages = new Map<number, { key: TextKey | null; text: string; tone: 'info' | 'ok' | 'error' }>();
/** Facts about a card kept across re-renders (its waiting-room position, its order id), as data attributes. */
const marks = new Map<number, Record<string, string>>();

function mark(activityId: number, name: string, value: string): void {
  marks.set(activityId, { ...marks.get(activityId), [name]: value });
  const element = document.querySelector<HTMLElement>(`[data-id="${activityId}"]`);
  if (element) element.dataset[name] = value;
}

const $ = <T extends HTMLElement>(selector: string, root: ParentNode = document): T => root.querySelector(selector) as T;
const t = (key: TextKey, values?: Record<string, string | number>) => format(TEXT[key][lang], values);

function readSession(): Session | null {
  try {
    return JSON.parse(sessionStorage.getItem('session') ?? 'null') as Session | null;
  } catch {
    return null;
  }
}

function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'NETWORK') return t('network');
    return (ERROR_MESSAGES[error.code] ?? ERROR_MESSAGES.INTERNAL)[lang];
  }
  return ERROR_MESSAGES.INTERNAL[lang];
}

function say(activityId: number, text: string, tone: 'info' | 'ok' | 'error' = 'info', key: TextKey | null = null): void {
  messages.set(activityId, { key, text, tone });
  const element = document.querySelector<HTMLElement>(`[data-id="${activityId}"] .message`);
  if (element) {
    element.textContent = text;
    element.dataset.tone = tone;
  }
}

// ---- server config, clock and catalog ----

async function loadConfig(): Promise<void> {
  const answer = await api<ClientConfig>('/api/client-config');
  config = answer.body;
  clock.learn(config.serverTime, answer.headers, answer.elapsedMs);
}

async function loadActivities(): Promise<void> {
  activities = (await api<ActivityView[]>('/api/activities')).body;
  render();
}

function authBase(): string {
  return config.authUrl || '';
}

// ---- rendering ----

function money(cents: number): string {
  return `¥${(cents / 100).toFixed(2)}`;
}

function duration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return [hours, minutes, seconds].map((n) => String(n).padStart(2, '0')).join(':');
}

function render(): void {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  $('#title').textContent = t('title');
  $('#lang').textContent = t('language');
  renderAuth();
  const list = $('#activities');
  if (activities.length === 0) {
    list.innerHTML = `<p class="empty">${t('noActivities')}</p>`;
    return;
  }
  list.replaceChildren(...activities.map(card));
  tick();
}

function card(activity: ActivityView): HTMLElement {
  const article = document.createElement('article');
  article.className = 'card';
  article.dataset.id = String(activity.id);
  article.innerHTML = `
    <h2></h2>
    <p class="description"></p>
    <p class="price"><strong></strong> <del></del></p>
    <p class="stock"></p>
    <p class="status"></p>
    <p class="countdown"></p>
    <button class="buy" type="button" disabled></button>
    <p class="message" role="status" aria-live="polite"></p>`;
  $('h2', article).textContent = activity.title;
  $('.description', article).textContent = activity.description;
  $('.price strong', article).textContent = money(activity.priceCents);
  $('.price del', article).textContent = activity.originalPriceCents === null ? '' : money(activity.originalPriceCents);
  $('.stock', article).textContent = `${t('left')} ${activity.remaining} ${t('of')} ${activity.stock}`;
  const message = messages.get(activity.id);
  if (message) {
    $('.message', article).textContent = message.key ? t(message.key) : message.text;
    $('.message', article).dataset.tone = message.tone;
  }
  Object.assign(article.dataset, marks.get(activity.id));
  $('.buy', article).addEventListener('click', () => void click(activity.id));
  return article;
}

/** Countdowns and buttons follow the server's clock; called every TICK_MS. */
function tick(): void {
  const now = clock.now();
  for (const activity of activities) {
    const article = document.querySelector<HTMLElement>(`[data-id="${activity.id}"]`);
    if (!article) continue;
    const startAt = Date.parse(activity.startAt);
    const endAt = Date.parse(activity.endAt);
    const button = $<HTMLButtonElement>('.buy', article);
    // The status the server last listed, moved on by the estimate of its clock. What the server itself said wins:
    // once it lists the sale ACTIVE, the sale has started, even while the estimate (a few ms off) still reads
    // before the start. Countdown, button and label all follow this one status, so they never disagree.
    let status = activity.status;
    if (status === 'UPCOMING' && now >= startAt) status = 'ACTIVE';
    if (now >= endAt) status = 'ENDED';
    $('.status', article).textContent = t(status);
    $('.status', article).dataset.status = status;
    $('.countdown', article).textContent =
      status === 'UPCOMING' ? `${t('startsIn')} ${duration(startAt - now)}` : status !== 'ENDED' ? `${t('endsIn')} ${duration(endAt - now)}` : '';
    // Live only once the sale has started: a click before it sends nothing at all.
    const live = status === 'ACTIVE' && session !== null && !running.has(activity.id);
    button.disabled = !live;
    button.textContent = status === 'SOLD_OUT' ? t('soldOut') : status === 'ENDED' ? t('ended') : status === 'UPCOMING' ? t('notYet') : t('buy');
  }
  $('#clock').textContent = `server ${new Date(clock.now()).toISOString().slice(11, 19)} UTC (browser ${clock.offset >= 0 ? '+' : ''}${Math.round(clock.offset)} ms)`;
}

/** Builds the login form or the greeting once per session change; later renders only translate them (typing survives). */
function renderAuth(): void {
  const area = $('#auth');
  if (session) {
    if (!area.querySelector('#logout')) {
      area.innerHTML = `<span class="hello"></span> <button type="button" id="logout"></button>`;
      $('#logout', area).addEventListener('click', () => {
        sessionStorage.removeItem('session');
        session = null;
        render();
      });
    }
    $('.hello', area).textContent = t('hello') + session.username;
    $('#logout', area).textContent = t('logout');
    return;
  }
  const existing = area.querySelector<HTMLFormElement>('#login-form');
  if (existing) {
    translateForm(existing);
    return;
  }
  area.innerHTML = `
    <form id="login-form">
      <input name="username" autocomplete="username" required minlength="3" maxlength="32">
      <input name="password" type="password" autocomplete="current-password" required minlength="8" maxlength="128">
      <button type="submit" id="login"></button>
      <button type="button" id="register"></button>
      <span class="auth-message" role="status"></span>
    </form>`;
  const form = $<HTMLFormElement>('#login-form', area);
  translateForm(form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void authenticate(form, false);
  });
  $('#register', form).addEventListener('click', () => {
    if (form.reportValidity()) void authenticate(form, true);
  });
}

function translateForm(form: HTMLFormElement): void {
  $<HTMLInputElement>('[name=username]', form).placeholder = t('username');
  $<HTMLInputElement>('[name=password]', form).placeholder = t('password');
  $('#login', form).textContent = t('login');
  $('#register', form).textContent = t('register');
}

async function authenticate(form: HTMLFormElement, register: boolean): Promise<void> {
  const username = $<HTMLInputElement>('[name=username]', form).value.trim();
  const password = $<HTMLInputElement>('[name=password]', form).value;
  const status = $('.auth-message', form);
  try {
    if (register) {
      await api(`${authBase()}/api/auth/register`, { body: { username, password } });
      status.textContent = t('registered');
    }
    const login = await api<{ accessToken: string }>(`${authBase()}/api/auth/login`, { body: { username, password } });
    session = { username, accessToken: login.body.accessToken };
    sessionStorage.setItem('session', JSON.stringify(session));
    render();
  } catch (error) {
    status.textContent = errorText(error);
  }
}

// ---- the purchase flow ----

async function click(activityId: number): Promise<void> {
  const activity = activities.find((a) => a.id === activityId);
  if (!activity || !session || running.has(activityId)) return;
  // At most one click per clickThrottleMs: a second click within it sends nothing.
  const now = performance.now();
  if (now - lastClickAt < config.clickThrottleMs) {
    say(activityId, t('throttled'), 'info', 'throttled');
    return;
  }
  lastClickAt = now;
  // Level-3 degradation: the server asks clients to drop a share of clicks before they reach it.
  if (Math.random() * 100 < config.dropPercent) {
    say(activityId, t('dropped'), 'info', 'dropped');
    return;
  }
  running.add(activityId);
  tick();
  try {
    await buy(activity, session.accessToken);
  } catch (error) {
    say(activityId, errorText(error), 'error');
    if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
      sessionStorage.removeItem('session');
      session = null;
      render();
    }
  } finally {
    running.delete(activityId);
    tick();
  }
}

/** Retryable answers wait as the server says; anything else ends the flow with its message. */
async function backOff(activityId: number, error: unknown): Promise<void> {
  if (!(error instanceof ApiError) || !['RATE_LIMITED', 'BUSY', 'DEGRADED', 'NETWORK'].includes(error.code)) throw error;
  say(activityId, errorText(error), 'info');
  await sleep((error.retryAfterSeconds ?? 1) * 1000);
}

async function buy(activity: ActivityView, token: string): Promise<void> {
  const base = `/api/activities/${activity.id}`;
  // A solved challenge is kept for the next try while it is fresh: a refused request (staggered turn, not admitted)
  // does not use it up.
  let solved: { body: { challenge: string; solution: unknown }; until: number } | undefined;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (activity.waitingRoom.enabled) await waitInRoom(activity, token);
    if (activity.challengeDifficulty > 0 && !(solved && Date.now() < solved.until)) solved = await solveChallenge(activity, token);
    const body = activity.challengeDifficulty > 0 ? solved?.body : undefined;
    let purchaseToken: string;
    try {
      purchaseToken = (await api<{ token: string }>(`${base}/token`, { method: 'POST', token, body })).body.token;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'CHALLENGE_FAILED') solved = undefined;
      if (error instanceof ApiError && error.code === 'NOT_STARTED') {
        // Staggered entry: the server says when this shopper's turn opens.
        const seconds = error.retryAfterSeconds ?? 1;
        say(activity.id, t('waitingTurn', { seconds }), 'info');
        await sleep(seconds * 1000);
        continue;
      }
      if (error instanceof ApiError && (error.code === 'NOT_ADMITTED' || (error.code === 'CHALLENGE_FAILED' && attempt < 3))) continue;
      await backOff(activity.id, error);
      continue;
    }
    say(activity.id, t('buying'), 'info');
    try {
      await api(`${base}/purchase`, { token, body: { token: purchaseToken } });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'ALREADY_PURCHASED') {
        say(activity.id, errorText(error), 'info');
        await pollResult(activity, token);
        return;
      }
      if (error instanceof ApiError && error.code === 'INVALID_SECKILL_TOKEN') continue;
      await backOff(activity.id, error);
      continue;
    }
    say(activity.id, t('queuedOrder'), 'ok');
    await pollResult(activity, token);
    void loadActivities().catch(() => undefined);
    return;
  }
}

async function waitInRoom(activity: ActivityView, token: string): Promise<void> {
  const url = `/api/activities/${activity.id}/queue`;
  say(activity.id, t('joining'), 'info');
  let place = (await api<QueuePlace>(url, { method: 'POST', token })).body;
  for (;;) {
    if (place.status === 'ADMITTED') {
      say(activity.id, t('admitted'), 'ok');
      return;
    }
    if (place.status === 'CLOSED') throw new ApiError(410, 'SOLD_OUT', 'closed', undefined, {});
    if (place.status === 'EXPIRED') {
      say(activity.id, t('expired'), 'info');
      place = (await api<QueuePlace>(url, { method: 'POST', token })).body;
      continue;
    }
    say(activity.id, t('queued', { position: place.position, serving: place.servingPosition, wait: place.estimatedWaitSeconds }), 'info');
    mark(activity.id, 'position', String(place.position));
    await sleep(Math.min(5000, Math.max(1000, place.estimatedWaitSeconds * 500)));
    try {
      place = (await api<QueuePlace>(url, { token })).body;
    } catch (error) {
      await backOff(activity.id, error);
    }
  }
}

/** Fetches a challenge and solves it in the worker; returns the token request's body and until when it is good. */
async function solveChallenge(activity: ActivityView, token: string): Promise<{ body: { challenge: string; solution: unknown }; until: number }> {
  say(activity.id, t('verifying'), 'info');
  const fetched = Date.now();
  const { challenge, expiresIn } = (await api<{ challenge: string; expiresIn: number }>(`/api/activities/${activity.id}/challenge`, { token })).body;
  const decoded = JSON.parse(atob(challenge.replace(/-/g, '+').replace(/_/g, '/'))) as unknown;
  const worker = new Worker(__SOLVER_URL__);
  try {
    const answer = await new Promise<{ solution?: unknown; ms?: number; error?: string }>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<{ solution?: unknown; ms?: number; error?: string }>) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
      worker.postMessage({ challenge: decoded });
    });
    if (!answer.solution) throw new ApiError(400, 'CHALLENGE_FAILED', answer.error ?? 'unsolved', undefined, {});
    say(activity.id, t('verified', { ms: answer.ms ?? 0 }), 'ok');
    // Used while a few seconds of its lifetime remain, so it does not expire on the way.
    return { body: { challenge, solution: answer.solution }, until: fetched + (expiresIn - 5) * 1000 };
  } finally {
    worker.terminate();
  }
}

/** Polls the result from resultPollMs, backing off ×1.5 up to 10 s and waiting Retry-After when told to. */
async function pollResult(activity: ActivityView, token: string): Promise<void> {
  const started = Date.now();
  let interval = config.resultPollMs;
  while (Date.now() - started < GIVE_UP_POLLING_MS) {
    await sleep(interval);
    let result: ReservationResult;
    try {
      result = (await api<ReservationResult>(`/api/activities/${activity.id}/result`, { token })).body;
    } catch (error) {
      if (!(error instanceof ApiError) || !['RATE_LIMITED', 'BUSY', 'DEGRADED', 'NETWORK'].includes(error.code)) throw error;
      interval = Math.max(interval, (error.retryAfterSeconds ?? 1) * 1000);
      continue;
    }
    if (result.status === 'CREATED') {
      say(activity.id, t('created', { orderId: result.orderId ?? '' }), 'ok');
      mark(activity.id, 'orderId', result.orderId ?? '');
      return;
    }
    if (result.status === 'CANCELLED' || result.status === 'FAILED') {
      say(activity.id, t(result.status === 'CANCELLED' ? 'cancelled' : 'failed'), 'error');
      return;
    }
    say(activity.id, t(Date.now() - started > SLOW_ORDER_MS ? 'slowOrder' : 'queuedOrder'), 'ok');
    interval = Math.min(MAX_POLL_MS, Math.round(interval * 1.5));
  }
}

// ---- start ----

async function start(): Promise<void> {
  $('#lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('lang', lang);
    render();
  });
  $('#activities').innerHTML = `<p class="empty">${t('loading')}</p>`;
  render();
  for (;;) {
    try {
      await loadConfig();
      await loadActivities();
      break;
    } catch (error) {
      $('#activities').innerHTML = `<p class="empty"></p>`;
      $('#activities .empty').textContent = errorText(error);
      await sleep(2000);
    }
  }
  setInterval(tick, TICK_MS);
  setInterval(() => void loadActivities().catch(() => undefined), LIST_REFRESH_MS);
  setInterval(() => void loadConfig().catch(() => undefined), 30_000);
}

void start();
