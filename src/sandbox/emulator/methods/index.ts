import { callbackMethods } from './callbacks';
import { chatMethods } from './chat';
import { commandMethods } from './commands';
import type { MethodContext, MethodDef } from './context';
import { copyingMethods } from './copying';
import { editingMethods } from './editing';
import { fileMethods } from './files';
import { sendingMethods } from './sending';
import { topicMethods } from './topics';
import { updateMethods } from './updates';

export { Described, type CallContext, type MethodContext, type MethodDef, type WebhookSettings } from './context';
export { cleanTopicName, deleteTopic } from './topics';

const FAMILIES = [
  commandMethods,
  updateMethods,
  sendingMethods,
  copyingMethods,
  editingMethods,
  callbackMethods,
  topicMethods,
  chatMethods,
  fileMethods,
];

/** Bot API method implementations over the emulator's world, keyed by lower-cased name. */
export function createBotApi(ctx: MethodContext): Map<string, MethodDef> {
  const methods = new Map<string, MethodDef>();
  for (const family of FAMILIES) {
    for (const spec of family) {
      methods.set(spec.name.toLowerCase(), {
        name: spec.name,
        send: spec.send ?? false,
        handler: (p, call) => spec.handler(ctx, p, call),
      });
    }
  }
  return methods;
}
