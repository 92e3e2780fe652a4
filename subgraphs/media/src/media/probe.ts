import { parseStream } from 'music-metadata';
import type { Readable } from 'node:stream';

export interface ProbedMedia {
  readonly duration: number | null;
  readonly bitrate: number | null;
  readonly codec: string | null;
  readonly width: number | null;
  readonly height: number | null;
}

const finite = (value: number | undefined): number | null =>
  value !== undefined && Number.isFinite(value) && value > 0 ? value : null;

/**
 * Duration, bitrate, codec and (for video) frame size from the container, with `music-metadata`
 * (MP3, AAC/M4A, Ogg, WAV, FLAC, MP4/MOV, WebM/Matroska). It reads headers, or the whole stream
 * when that is the only way to know the duration (e.g. MP3 without a Xing header). Frame rates
 * are not exposed by it: frameRate stays null. Returns null fields for what it cannot tell.
 */
export async function probeMedia(stream: Readable, mimeType: string, size: number): Promise<ProbedMedia> {
  const { format } = await parseStream(stream, { mimeType, size }, { duration: true, skipCovers: true });
  const video = format.trackInfo.find((track) => track.video)?.video;
  return {
    duration: finite(format.duration),
    bitrate: finite(format.bitrate) === null ? null : Math.round(format.bitrate ?? 0),
    codec: format.codec ?? format.trackInfo.find((track) => track.codecName)?.codecName ?? null,
    width: finite(video?.pixelWidth ?? video?.displayWidth),
    height: finite(video?.pixelHeight ?? video?.displayHeight),
  };
}
