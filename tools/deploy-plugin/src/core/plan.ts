import type { Command } from './run.ts';

/** One line of a deploy plan for people: what will happen, and the command when there is one. */
export interface PlannedAction {
  title: string;
  command?: Command;
}
