export { SandboxControl, type ControlOptions, type SandboxOpenAi } from './control';
