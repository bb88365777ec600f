/** What the stack CLI knows about each process it runs. */
export interface Component {
  readonly name: string;
  /** Infrastructure (databases, broker, mail, proxy) or one of the platform's own services. */
  readonly kind: "infra" | "service";
  /** Human-readable address shown by `stack status`. */
  endpoint(): string;
  /** Makes sure binaries/jars exist (downloads or builds into the cache when missing). */
  provision(): Promise<void>;
  /** Starts the process unless it is already running, then waits until healthy. */
  start(): Promise<void>;
  healthy(): Promise<boolean>;
  running(): boolean;
  stop(): Promise<void>;
  /** Files to remove on `stack reset` (data directories). */
  readonly dataDirs: readonly string[];
}
