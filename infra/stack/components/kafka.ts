/**
 * Apache Kafka 4.x in KRaft mode, run from its
 * Maven Central jars with the machine's JDK. The jars are fetched once with
 * `mvn dependency:copy-dependencies` from infra/kafka/pom.xml into the cache.
 *
 * Each node is broker and controller. The default profile runs one (`kafka`, replication
 * factor 1); the cluster profile three (`kafka-1`…`kafka-3`, a three-voter quorum, topics
 * with replication factor 3 and min.insync.replicas 2, so an acknowledged record survives
 * the loss of any one node). Node n listens on KAFKA_PORT + 2(n − 1), its controller on
 * KAFKA_CONTROLLER_PORT + 2(n − 1).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { loadStackEnv } from "../../../shared/config.ts";
import type { Component } from "../component.ts";
import { CACHE_DIR, DATA_DIR, logFile, ROOT } from "../paths.ts";
import { run, runningPid, startDetached, stopNamed, StackError, tcpOpen, waitFor } from "../proc.ts";
import { ensureDebPackages, which } from "../provision.ts";

const POM = join(ROOT, "infra", "kafka", "pom.xml");
const kafkaVersion = () => /<kafka\.version>([^<]+)</.exec(readFileSync(POM, "utf8"))?.[1] ?? "unknown";
const libsDir = () => join(CACHE_DIR, `kafka-${kafkaVersion()}`, "libs");

function java(): string {
  let bin = which("java");
  if (!bin) {
    ensureDebPackages("Java 17+ runtime for Kafka", ["openjdk-17-jre-headless"]);
    bin = which("java");
  }
  if (!bin) throw new StackError("java not found after install");
  return bin;
}

const brokerPort = (node: number) => loadStackEnv().KAFKA_PORT + 2 * (node - 1);
const controllerPort = (node: number) => loadStackEnv().KAFKA_CONTROLLER_PORT + 2 * (node - 1);
/** All nodes of one cluster share an id, so the first node to format its storage picks it. */
const clusterIdFile = () => join(DATA_DIR, "kafka-cluster-id");

export class Kafka implements Component {
  readonly name: string;
  readonly kind = "infra" as const;
  readonly dataDirs: string[];
  version = kafkaVersion;
  /** This node's id (1…nodes). */
  readonly node: number;
  readonly nodes: number;

  constructor(node = 1, nodes = 1) {
    this.node = node;
    this.nodes = nodes;
    this.name = nodes === 1 ? "kafka" : `kafka-${node}`;
    this.dataDirs = [this.dir, ...(node === 1 && nodes > 1 ? [clusterIdFile()] : [])];
  }

  private get dir() {
    return join(DATA_DIR, this.name);
  }

  endpoint() {
    const env = loadStackEnv();
    const role = this.nodes === 1 ? "KRaft" : `KRaft node ${this.node} of ${this.nodes}, replication factor 3, min ISR 2`;
    return `kafka://127.0.0.1:${brokerPort(this.node)} (${role}, ${env.KAFKA_PARTITIONS} partitions by default)`;
  }

  async provision() {
    java();
    const libs = libsDir();
    if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith("kafka_2.13-"))) return;
    if (!which("mvn")) ensureDebPackages("Maven, to fetch the Kafka jars", ["maven"]);
    console.log(`[stack] fetching Kafka ${kafkaVersion()} jars from Maven Central into ${libs}`);
    run("mvn", ["-q", "-B", "-f", POM, "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${libs}`]);
  }

  private config(): string {
    const env = loadStackEnv();
    const dir = this.dir;
    const file = join(dir, "server.properties");
    const rf = this.nodes === 1 ? 1 : 3;
    const voters = Array.from({ length: this.nodes }, (_, i) => `${i + 1}@127.0.0.1:${controllerPort(i + 1)}`).join(",");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      file,
      [
        "process.roles=broker,controller",
        `node.id=${this.node}`,
        `controller.quorum.voters=${voters}`,
        `listeners=PLAINTEXT://127.0.0.1:${brokerPort(this.node)},CONTROLLER://127.0.0.1:${controllerPort(this.node)}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort(this.node)}`,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        `log.dirs=${join(dir, "logs")}`,
        `num.partitions=${env.KAFKA_PARTITIONS}`,
        // Topics the services create take these (they ask for the brokers' default).
        `default.replication.factor=${rf}`,
        `min.insync.replicas=${Math.min(rf, 2)}`,
        `offsets.topic.replication.factor=${rf}`,
        "offsets.topic.num.partitions=12",
        `transaction.state.log.replication.factor=${rf}`,
        `transaction.state.log.min.isr=${Math.min(rf, 2)}`,
        `share.coordinator.state.topic.replication.factor=${rf}`,
        `share.coordinator.state.topic.min.isr=${Math.min(rf, 2)}`,
        // A restarted node takes back the partitions it led, so leadership spreads again.
        "auto.leader.rebalance.enable=true",
        "group.initial.rebalance.delay.ms=0",
        // Topics are created explicitly by the services from the topic catalogue.
        "auto.create.topics.enable=false",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "log4j2.yaml"),
      [
        "Configuration:",
        "  Appenders:",
        "    Console:",
        "      name: STDOUT",
        "      PatternLayout:",
        '        pattern: "[%d] %p %m (%c)%n"',
        "  Loggers:",
        "    Root:",
        "      level: WARN",
        "      AppenderRef:",
        "        - ref: STDOUT",
        "    Logger:",
        // Start-up and shutdown lines only: the health check looks for "Kafka Server started".
        "      - name: kafka.server.KafkaRaftServer",
        "        level: INFO",
        "",
      ].join("\n"),
    );
    return file;
  }

  private javaArgs(main: string, args: string[]): string[] {
    const dir = this.dir;
    return [
      "-Xms256m",
      this.nodes === 1 ? "-Xmx1g" : "-Xmx768m",
      "-XX:+UseG1GC",
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${join(dir, "log4j2.yaml")}`,
      `-Dkafka.logs.dir=${join(dir, "app-logs")}`,
      "-cp",
      `${libsDir()}/*`,
      main,
      ...args,
    ];
  }

  running() {
    return runningPid(this.name) !== null;
  }

  async healthy() {
    if (!this.running() || !(await tcpOpen(brokerPort(this.node)))) return false;
    // "started" must appear after the latest start marker of this log (see startDetached).
    const log = logFile(this.name);
    if (!existsSync(log)) return false;
    const text = readFileSync(log, "utf8");
    return text.slice(text.lastIndexOf(`starting ${this.name}:`)).includes("Kafka Server started");
  }

  /** `timeoutMs`: a node killed under load replays its logs first (minutes on two busy cores). */
  async start(timeoutMs = 90_000) {
    if (!this.running()) {
      const props = this.config();
      if (!existsSync(join(this.dir, "logs", "meta.properties"))) {
        const fresh = randomBytes(16).toString("base64url");
        if (this.nodes > 1 && !existsSync(clusterIdFile())) writeFileSync(clusterIdFile(), fresh);
        const clusterId = this.nodes > 1 ? readFileSync(clusterIdFile(), "utf8").trim() : fresh;
        // `--cluster-id=<id>` in one token: a base64url id may start with "-".
        run(java(), this.javaArgs("kafka.tools.StorageTool", ["format", `--cluster-id=${clusterId}`, "--config", props, "--ignore-formatted"]));
      }
      startDetached(this.name, java(), this.javaArgs("kafka.Kafka", [props]));
    }
    // A node serves only once a majority of the quorum runs: the first nodes of a cluster
    // start without waiting, and the one that completes a majority waits for all that run.
    const peers = Array.from({ length: this.nodes }, (_, i) => (i + 1 === this.node ? this : new Kafka(i + 1, this.nodes)));
    const running = peers.filter((p) => p.running());
    if (running.length * 2 <= this.nodes) return;
    for (const p of running) await waitFor(p.name, () => p.healthy(), timeoutMs);
  }

  async stop() {
    await stopNamed(this.name, 30_000);
  }
}
