import type { ErrorCode } from '@seckill/contracts';

export type Lang = 'zh' | 'en';

type Text = Record<Lang, string>;

/**
 * A plain message for every error code of the API, in Chinese and English. Typed by the contract's codes, so a code
 * added to the API without a message here does not compile (messages for codes a server may add later are welcome).
 */
export const ERROR_MESSAGES: Record<ErrorCode, Text> & Record<string, Text | undefined> = {
  VALIDATION_FAILED: { zh: '请求有误，请刷新页面后重试。', en: 'Something in the request was wrong; reload the page and try again.' },
  INVALID_SECKILL_TOKEN: { zh: '抢购凭证已失效，请重新点击抢购。', en: 'Your purchase pass expired; click Buy again.' },
  UNAUTHENTICATED: { zh: '请先登录（或登录已过期）。', en: 'Please log in (or log in again).' },
  FORBIDDEN: { zh: '您没有权限进行此操作。', en: 'You are not allowed to do that.' },
  NOT_FOUND: { zh: '活动不存在或已下架。', en: 'This sale does not exist any more.' },
  USERNAME_TAKEN: { zh: '用户名已被占用，请换一个。', en: 'That username is taken; pick another.' },
  NOT_STARTED: { zh: '还没轮到您，请稍候，系统会自动重试。', en: 'Not your turn yet; hold on, we will retry for you.' },
  ALREADY_PURCHASED: { zh: '您已经抢到一件了，每人限购一件。', en: 'You already have one; it is one per shopper.' },
  ORDER_NOT_PAYABLE: { zh: '订单已支付或已取消。', en: 'This order is already paid or cancelled.' },
  ALREADY_STARTED: { zh: '活动已开始，不能再修改。', en: 'The sale has started and can no longer be changed.' },
  NOT_ADMITTED: { zh: '正在排队，请耐心等待轮到您。', en: 'You are in the queue; please wait for your turn.' },
  CHALLENGE_FAILED: { zh: '人机验证未通过，请重试。', en: 'The human check failed; please try again.' },
  FULL: { zh: '参与人数已满，下次早点来。', en: 'The sale is full; better luck next time.' },
  SOLD_OUT: { zh: '已抢光，下次早点来。', en: 'Sold out; better luck next time.' },
  ENDED: { zh: '活动已结束。', en: 'The sale has ended.' },
  PAYLOAD_TOO_LARGE: { zh: '请求过大。', en: 'The request was too large.' },
  URI_TOO_LONG: { zh: '请求地址过长。', en: 'The address was too long.' },
  UNSUPPORTED_MEDIA_TYPE: { zh: '请求格式不受支持。', en: 'The request format is not supported.' },
  RATE_LIMITED: { zh: '操作太频繁，请稍后再试。', en: 'Too many tries; wait a moment.' },
  BUSY: { zh: '人太多了，系统正忙，请稍后再试。', en: 'Everyone is here at once; try again in a moment.' },
  DEGRADED: { zh: '人太多了，请稍后再试。', en: 'It is very busy right now; try again shortly.' },
  PAYMENT_UNAVAILABLE: { zh: '支付暂时不可用，订单会为您保留。', en: 'Payment is unavailable right now; your order is kept.' },
  INTERNAL: { zh: '系统开小差了，请稍后再试。', en: 'Something went wrong on our side; try again later.' },
};

/** Everything else the page says. */
export const TEXT = {
  title: { zh: '秒杀', en: 'Flash sale' },
  login: { zh: '登录', en: 'Log in' },
  register: { zh: '注册', en: 'Sign up' },
  logout: { zh: '退出', en: 'Log out' },
  username: { zh: '用户名', en: 'Username' },
  password: { zh: '密码', en: 'Password' },
  hello: { zh: '您好，', en: 'Hello, ' },
  loginFirst: { zh: '登录后即可抢购。', en: 'Log in to buy.' },
  registered: { zh: '注册成功，正在登录…', en: 'Signed up; logging you in…' },
  loading: { zh: '加载中…', en: 'Loading…' },
  noActivities: { zh: '暂无活动。', en: 'No sales right now.' },
  startsIn: { zh: '距开始', en: 'Starts in' },
  endsIn: { zh: '距结束', en: 'Ends in' },
  left: { zh: '剩余', en: 'left' },
  of: { zh: '/', en: 'of' },
  buy: { zh: '立即抢购', en: 'Buy now' },
  notYet: { zh: '未开始', en: 'Not yet' },
  soldOut: { zh: '已抢光', en: 'Sold out' },
  ended: { zh: '已结束', en: 'Ended' },
  UPCOMING: { zh: '即将开始', en: 'Upcoming' },
  ACTIVE: { zh: '抢购中', en: 'On sale' },
  SOLD_OUT: { zh: '已抢光', en: 'Sold out' },
  ENDED: { zh: '已结束', en: 'Ended' },
  joining: { zh: '正在进入排队…', en: 'Joining the queue…' },
  queued: { zh: '排队中：您是第 {position} 位，已放行到第 {serving} 位，预计等待 {wait} 秒', en: 'In the queue: you are number {position}; {serving} let in so far; about {wait} s to wait' },
  admitted: { zh: '轮到您了！', en: 'Your turn!' },
  expired: { zh: '您的名额已过期，正在重新排队…', en: 'Your turn passed; queuing again…' },
  closed: { zh: '排队已结束：商品已抢光或活动已结束。', en: 'The queue is closed: sold out or the sale is over.' },
  verifying: { zh: '正在进行人机验证…', en: 'Checking you are human…' },
  verified: { zh: '验证通过（{ms} 毫秒）', en: 'Checked ({ms} ms)' },
  waitingTurn: { zh: '分批入场：{seconds} 秒后轮到您…', en: 'Staggered entry: your turn in {seconds} s…' },
  buying: { zh: '正在下单…', en: 'Placing your order…' },
  queuedOrder: { zh: '抢到了！订单生成中…', en: 'Got it! Creating your order…' },
  slowOrder: { zh: '你的货物堵在路上，请稍后查看', en: 'Your goods are stuck in traffic; check back shortly' },
  created: { zh: '下单成功！订单号 {orderId}，请尽快支付。', en: 'Order placed! Order {orderId}; please pay soon.' },
  cancelled: { zh: '订单已取消。', en: 'The order was cancelled.' },
  failed: { zh: '订单创建失败，名额已退回。', en: 'The order could not be created.' },
  dropped: { zh: '人太多了，请再点一次。', en: 'It is very busy; click again.' },
  throttled: { zh: '点得太快了，请稍候。', en: 'Easy: one click at a time.' },
  language: { zh: 'English', en: '中文' },
  network: { zh: '网络异常，请检查网络后重试。', en: 'Network trouble; check your connection and try again.' },
} satisfies Record<string, Text>;

export type TextKey = keyof typeof TEXT;

/** The browser's language, Chinese unless it prefers something else. */
export function defaultLang(): Lang {
  const preferred = typeof navigator === 'undefined' ? 'zh' : navigator.language.toLowerCase();
  return preferred.startsWith('zh') ? 'zh' : 'en';
}

/** A message with its {placeholders} filled in. */
export function format(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));
}
