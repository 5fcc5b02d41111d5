import { badRequest } from '../errors';
import type { FileKind } from '../state';
import type { MethodSpec } from './context';
import { extFor } from './media';

const MAX_FILE_DOWNLOAD = 20 * 1024 * 1024;

export const fileMethods: MethodSpec[] = [
  {
    name: 'getFile',
    handler: ({ world }, p) => {
      const record = world.files.get(p.str('file_id') ?? '');
      if (!record) throw badRequest('wrong file_id or the file is temporarily unavailable');
      if (record.size > MAX_FILE_DOWNLOAD) throw badRequest('file is too big');
      if (!record.filePath) {
        const dirs: Record<FileKind, string> = {
          photo: 'photos', document: 'documents', video: 'videos', voice: 'voice', audio: 'music',
          animation: 'animations', sticker: 'stickers', video_note: 'video_notes',
        };
        const name = (record.descriptor as Record<string, unknown>).file_name;
        const ext = typeof name === 'string' && name.includes('.') ? name.split('.').pop() : extFor(record.kind);
        record.filePath = `${dirs[record.kind]}/file_${world.files.size}_${record.uniqueId.slice(4, 10)}.${ext}`;
      }
      return { file_id: record.fileId, file_unique_id: record.uniqueId, file_size: record.size, file_path: record.filePath };
    },
  },
];
