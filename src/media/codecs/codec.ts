/**
 * An audio codec: linear 16-bit PCM frames in, RTP payload bytes out, and back. Named AudioCodec
 * so that it does not clash with the sdp layer's Codec (which describes an a=rtpmap line); the
 * two meet on `name` + `clockRate` + `payloadType`.
 */
export interface AudioCodec {
  /** Encoding name as in a=rtpmap (RFC 3551 Table 4), e.g. 'PCMU'. */
  readonly name: string;
  /** Static payload type (RFC 3551 Table 4), or the default dynamic one. */
  readonly payloadType: number;
  /** RTP clock rate in Hz; for G.711 equal to the sample rate. */
  readonly clockRate: number;
  /** Encode one frame of PCM (any length) into payload bytes. Stateless for G.711. */
  encode(pcm: Int16Array): Uint8Array;
  /** Decode payload bytes into PCM. */
  decode(payload: Uint8Array): Int16Array;
}
