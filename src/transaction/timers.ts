/** RFC 3261 §17.1.1.1 / Table 4 timer values; T1/T2/T4 are configurable, the rest derive from them. */
export interface TimerConfig {
  /** RTT estimate, default 500 ms. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  T2: number;
  /** Maximum time a message remains in the network, default 5 s. */
  T4: number;
}

export const DEFAULT_TIMERS: TimerConfig = Object.freeze({ T1: 500, T2: 4000, T4: 5000 });

/** Timer D: 32 s on unreliable transports (at least), 0 on reliable ones. */
export const TIMER_D_UNRELIABLE = 32_000;
/** §17.2.1: the server transaction sends 100 Trying if the TU has not answered within 200 ms. */
export const TRYING_DELAY = 200;
