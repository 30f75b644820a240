/**
 * Types of labcontainer's REST API (docs/rest-api.md), as the side panel uses them.
 */

export interface IContainer {
  id: string;
  short_id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  created: string | null;
  started_at: string | null;
  command: string[];
  ports: string[];
  gpus: string[];
  labels: Record<string, string>;
  exit_code: number | null;
  pid: number | null;
  managed: boolean;
  purpose: string | null;
}

export interface IGpuProcess {
  pid: number;
  used_memory: number | null;
  user: string | null;
  container_id: string | null;
  container_name: string | null;
}

export interface IGpu {
  index: number;
  uuid: string;
  name: string;
  memory_used: number | null;
  memory_total: number | null;
  utilization: number | null;
  temperature: number | null;
  error: string | null;
  free: boolean;
  processes: IGpuProcess[];
  containers: string[];
}

export interface IGpuInventory {
  available: boolean;
  reason: string | null;
  driver_version: string | null;
  gpus: IGpu[];
}

export interface IImage {
  id: string;
  short_id: string;
  name: string;
  tags: string[];
  size: number;
}

export interface IKernelspec {
  name: string;
  display_name: string;
  image: string;
  gpus: string | null;
  volumes: string[];
  language: string;
}

export interface IStatus {
  connected: boolean;
  message: string | null;
  url: string | null;
  rootless: boolean | null;
  version: string | null;
}

/** The JSON error body every failing endpoint answers with. */
export interface IErrorBody {
  error: { kind: string; message: string };
}
