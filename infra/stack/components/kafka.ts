/**
 * Apache Kafka 4.x in KRaft mode (one node, broker + controller), run from its
 * Maven Central jars with the machine's JDK. The jars are fetched once with
 * `mvn dependency:copy-dependencies` from infra/kafka/pom.xml into the cache.
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

export class Kafka implements Component {
  readonly name = "kafka";
  readonly kind = "infra" as const;
  readonly dataDirs = [join(DATA_DIR, "kafka")];
  version = kafkaVersion;

  endpoint() {
    return `kafka://${loadStackEnv().KAFKA_BROKERS} (KRaft, ${loadStackEnv().KAFKA_PARTITIONS} partitions by default)`;
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
    const dir = join(DATA_DIR, "kafka");
    const file = join(dir, "server.properties");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      file,
      [
        "process.roles=broker,controller",
        "node.id=1",
        `controller.quorum.voters=1@127.0.0.1:${env.KAFKA_CONTROLLER_PORT}`,
        `listeners=PLAINTEXT://127.0.0.1:${env.KAFKA_PORT},CONTROLLER://127.0.0.1:${env.KAFKA_CONTROLLER_PORT}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${env.KAFKA_PORT}`,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        `log.dirs=${join(dir, "logs")}`,
        `num.partitions=${env.KAFKA_PARTITIONS}`,
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=12",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
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
    const dir = join(DATA_DIR, "kafka");
    return [
      "-Xms256m",
      "-Xmx1g",
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
    if (!this.running() || !(await tcpOpen(loadStackEnv().KAFKA_PORT))) return false;
    // "started" must appear after the latest start marker of this log (see startDetached).
    const log = logFile(this.name);
    if (!existsSync(log)) return false;
    const text = readFileSync(log, "utf8");
    return text.slice(text.lastIndexOf(`starting ${this.name}:`)).includes("Kafka Server started");
  }

  async start() {
    if (!this.running()) {
      const props = this.config();
      const dir = join(DATA_DIR, "kafka");
      if (!existsSync(join(dir, "logs", "meta.properties"))) {
        const clusterId = randomBytes(16).toString("base64url");
        // `--cluster-id=<id>` in one token: a base64url id may start with "-".
        run(java(), this.javaArgs("kafka.tools.StorageTool", ["format", `--cluster-id=${clusterId}`, "--config", props, "--ignore-formatted"]));
      }
      startDetached(this.name, java(), this.javaArgs("kafka.Kafka", [props]));
    }
    await waitFor(this.name, () => this.healthy(), 90_000);
  }

  async stop() {
    await stopNamed(this.name, 30_000);
  }
}
