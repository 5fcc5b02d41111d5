import { badRequest } from '../errors';
import type { Params } from '../params';
import type { FileKind, FileRecord } from '../state';
import type { TgMessage, UploadedFile } from '../types';
import type { MethodContext } from './context';

/** Where a media field's file comes from: this request's upload, a known file_id, or a URL. */
export interface MediaSource {
  upload?: UploadedFile;
  record?: FileRecord;
  url?: string;
}

const MEDIA_DEFAULTS: Record<Exclude<FileKind, 'photo'>, { mime: string; ext: string }> = {
  document: { mime: 'application/octet-stream', ext: 'dat' },
  video: { mime: 'video/mp4', ext: 'mp4' },
  voice: { mime: 'audio/ogg', ext: 'ogg' },
  audio: { mime: 'audio/mpeg', ext: 'mp3' },
  animation: { mime: 'video/mp4', ext: 'mp4' },
  sticker: { mime: 'image/webp', ext: 'webp' },
  video_note: { mime: 'video/mp4', ext: 'mp4' },
};

export function lookupFile({ world }: MethodContext, value: unknown, files: Map<string, UploadedFile>, kind: FileKind): MediaSource {
  if (typeof value === 'string') {
    if (value.startsWith('attach://')) {
      const upload = files.get(value.slice(9));
      if (!upload) throw badRequest(`can't parse InputMedia: media not found`);
      return { upload };
    }
    const record = world.files.get(value);
    if (record) {
      if ((record.kind === 'photo') !== (kind === 'photo')) {
        throw badRequest(`can't use file of type ${record.kind === 'photo' ? 'Photo' : 'Document'} as ${kind === 'photo' ? 'Photo' : 'Document'}`);
      }
      return { record };
    }
    if (/^https?:\/\/\S+$/i.test(value)) return { url: value };
    throw badRequest('wrong file identifier/HTTP URL specified');
  }
  return {};
}

/** Builds the media content for `kind` from a request field (upload, attach://, file_id or URL). */
export function mediaContent({ world }: MethodContext, kind: FileKind, source: MediaSource, p: Params): Partial<TgMessage> {
  if (kind === 'photo') {
    if (source.record) return { photo: structuredClone(source.record.descriptor) as TgMessage['photo'] };
    return { photo: world.addPhoto(source.upload?.data ?? Buffer.from(`photo from ${source.url ?? 'upload'}`)) };
  }
  if (source.record) {
    const d = structuredClone(source.record.descriptor) as Record<string, unknown>;
    return kind === 'animation' ? { animation: d, document: { ...d } } : { [kind]: d };
  }
  const defaults = MEDIA_DEFAULTS[kind];
  const name = source.upload?.filename ?? source.url?.split('/').pop() ?? `file.${defaults.ext}`;
  const mime = source.upload && source.upload.mimeType !== 'application/octet-stream' ? source.upload.mimeType : guessMime(name) ?? defaults.mime;
  const meta: Record<string, unknown> = {};
  const duration = p.int('duration') ?? 0;
  const width = p.int('width');
  const height = p.int('height');
  switch (kind) {
    case 'sticker':
      Object.assign(meta, { width: 512, height: 512, emoji: p.str('emoji'), is_animated: false, is_video: false, type: 'regular' });
      break;
    case 'voice':
      Object.assign(meta, { duration, mime_type: mime });
      break;
    case 'video_note':
      Object.assign(meta, { duration, length: p.int('length') ?? 240 });
      break;
    case 'audio':
      Object.assign(meta, { duration, performer: p.str('performer'), title: p.str('title'), file_name: name, mime_type: mime });
      break;
    case 'video':
    case 'animation':
      Object.assign(meta, { width: width ?? 640, height: height ?? 360, duration, file_name: name, mime_type: mime });
      break;
    default:
      Object.assign(meta, { file_name: name, mime_type: mime });
  }
  for (const k of Object.keys(meta)) if (meta[k] === undefined) delete meta[k];
  const bytes = source.upload?.data;
  const d = world.addFile(kind, meta, bytes);
  return kind === 'animation' ? { animation: d, document: { ...d } } : { [kind]: d };
}

export function extFor(kind: FileKind): string {
  return { photo: 'jpg', document: 'dat', video: 'mp4', voice: 'oga', audio: 'mp3', animation: 'mp4', sticker: 'webp', video_note: 'mp4' }[kind];
}

function guessMime(name: string): string | undefined {
  const ext = name.split('.').pop()?.toLowerCase();
  const map: Record<string, string> = {
    pdf: 'application/pdf', txt: 'text/plain', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif',
    webp: 'image/webp', mp4: 'video/mp4', ogg: 'audio/ogg', oga: 'audio/ogg', mp3: 'audio/mpeg', json: 'application/json',
    zip: 'application/zip', csv: 'text/csv',
  };
  return ext ? map[ext] : undefined;
}
