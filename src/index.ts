/** Switchboard: SIP call control for Node.js. The package root exports the public API by layer. */
export * from './message/index.js';
export {
  SipTransport,
  TransportManager,
  createDevCertificates,
  resolveTargets,
  withFailover,
  LossyTransport,
  dropFirstCopies,
  dropRandomly,
  TransportError,
  type TransportProtocol,
  type Target,
  type Inbound,
  type TransportLayer,
  type ListenOptions,
  type TransportOptions,
  type WireEvent,
  type Dns,
} from './transport/index.js';
export {
  TransactionLayer,
  ClientTransaction,
  ServerTransaction,
  DEFAULT_TIMERS,
  type TimerConfig,
} from './transaction/index.js';
export { Dialog, type DialogState, type DialogId } from './dialog/dialog.js';
export { UserAgentCore, type DialogHandler, type UserAgentCoreOptions } from './dialog/user-agent-core.js';
export { OfferAnswer, parseSdp, serializeSdp, SdpParseError, OfferAnswerError } from './sdp/index.js';
export { Call, glareDelay, type CallState, type CallEvents } from './call/call.js';
export {
  CallError,
  CallRejectedError,
  RequestTimeoutError,
  CancelledError,
  RequestPendingError,
  TransferFailedError,
  InvalidStateError,
} from './call/errors.js';
export { SignallingOnlyMedia, signallingOnlyFactory } from './media/signalling-only.js';
export { UserAgent, type UserAgentOptions } from './ua/user-agent.js';
export { Proxy, type ProxyOptions } from './proxy/proxy.js';
export { proxyEagerHeaders } from './proxy/eager-headers.js';
export { Registrar, MemoryLocationStore, type LocationStore, type Binding } from './registrar/index.js';
export { DigestClient, DigestServer, loadUsersFile, type Credentials } from './auth/index.js';
export {
  TraceRecorder,
  ladderText,
  ladderHtml,
  toPcap,
  fromPcap,
  toJsonLines,
  readTrace,
  writeTraceFiles,
  type TraceEntry,
} from './trace/index.js';
export { FakeClock, systemClock, type Clock } from './util/clock.js';
export {
  RtpMedia,
  rtpMediaFactory,
  MediaNotReadyError,
  type RtpMediaOptions,
  type MediaStats,
  type RtpMediaEvents,
} from './media/rtp-media.js';
export { PortAllocator, PortsExhaustedError, type PortRange } from './media/ports.js';
export { RtpSession } from './media/rtp-session.js';
export {
  SilenceSource,
  ToneSource,
  PcmBufferSource,
  PcmStreamSource,
  openWavSource,
  type FrameSource,
} from './media/sources.js';
export { WavRecorderSink, PcmStreamSink, CallbackSink, type FrameSink } from './media/sinks.js';
export { containsTone, dominantFrequency, rms, isSilent } from './media/analyse.js';
export { readWavFile, encodeWav, decodeWav, WavFormatError } from './media/wav.js';
export type {
  MediaApplyOptions,
  MediaSession,
  MediaSessionFactory,
  MediaSessionContext,
  MediaState,
} from './media/session.js';
