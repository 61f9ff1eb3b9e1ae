export { TraceRecorder, type TraceEntry } from './recorder.js';
export { ladderText } from './ladder.js';
export { ladderHtml } from './html.js';
export { toPcap, fromPcap, checksum } from './pcap.js';
export { toJsonLines, fromJsonLines, readTrace, writeTraceFiles } from './files.js';
export { arrows, summarize, type Arrow, type MessageSummary } from './summary.js';
