// Error-rate gate of a canary rollout step: after waiting `--bake-seconds`, reads the Cloud Run request
// counts of one revision over the last `--window-seconds` from Cloud Monitoring (timeSeries.list, grouped by
// response code class) and exits 1 when the share of 5xx exceeds `--max-ratio`.
//   node --import tsx scripts/ci/error-rate.ts --project P --service orchestrator --revision REV \
//        [--region europe-west1] [--bake-seconds 300] [--window-seconds 300] [--max-ratio 0.02] [--min-requests 20]
// Fewer than --min-requests requests is not enough to judge: it passes and says so.
// Credentials: Application Default Credentials (the Cloud Build service account); MONITORING_BASE_URL
// overrides the endpoint (tests point it at a local fake).
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

export interface RateQuery {
  project: string;
  region: string;
  service: string;
  revision: string;
  windowSeconds: number;
  baseUrl: string;
  accessToken: string;
  now?: Date;
}

export interface RateVerdict {
  total: number;
  errors: number;
  ratio: number;
  ok: boolean;
  reason: string;
}

interface TimeSeries {
  metric?: { labels?: Record<string, string> };
  points?: Array<{ value?: { int64Value?: string | number; doubleValue?: number } }>;
}

/** Sums request counts per response code class; `5xx` are the errors. */
export function summarize(series: TimeSeries[]): { total: number; errors: number } {
  let total = 0;
  let errors = 0;
  for (const s of series) {
    const count = (s.points ?? []).reduce((sum, p) => sum + Number(p.value?.int64Value ?? p.value?.doubleValue ?? 0), 0);
    total += count;
    if (s.metric?.labels?.response_code_class === '5xx') errors += count;
  }
  return { total, errors };
}

export function judge(counts: { total: number; errors: number }, maxRatio: number, minRequests: number): RateVerdict {
  const ratio = counts.total === 0 ? 0 : counts.errors / counts.total;
  if (counts.total < minRequests) {
    return { ...counts, ratio, ok: true, reason: `only ${counts.total} requests (< ${minRequests}): not enough to judge, passing` };
  }
  const ok = ratio <= maxRatio;
  return { ...counts, ratio, ok, reason: `${counts.errors}/${counts.total} 5xx = ${(ratio * 100).toFixed(2)} % (max ${(maxRatio * 100).toFixed(2)} %)` };
}

/** Reads every page of the revision's request_count series in the window. */
export async function fetchRequestCounts(q: RateQuery): Promise<{ total: number; errors: number }> {
  const end = q.now ?? new Date();
  const start = new Date(end.getTime() - q.windowSeconds * 1000);
  const filter = [
    'metric.type = "run.googleapis.com/request_count"',
    'resource.type = "cloud_run_revision"',
    `resource.labels.service_name = "${q.service}"`,
    `resource.labels.revision_name = "${q.revision}"`,
    `resource.labels.location = "${q.region}"`,
  ].join(' AND ');
  const series: TimeSeries[] = [];
  let pageToken = '';
  do {
    const params = new URLSearchParams({
      filter,
      'interval.startTime': start.toISOString(),
      'interval.endTime': end.toISOString(),
      'aggregation.alignmentPeriod': `${q.windowSeconds}s`,
      'aggregation.perSeriesAligner': 'ALIGN_SUM',
      'aggregation.crossSeriesReducer': 'REDUCE_SUM',
      'aggregation.groupByFields': 'metric.labels.response_code_class',
    });
    if (pageToken) params.set('pageToken', pageToken);
    const res = await fetch(`${q.baseUrl}/v3/projects/${q.project}/timeSeries?${params}`, {
      headers: { authorization: `Bearer ${q.accessToken}` },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`Cloud Monitoring answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const page = (await res.json()) as { timeSeries?: TimeSeries[]; nextPageToken?: string };
    series.push(...(page.timeSeries ?? []));
    pageToken = page.nextPageToken ?? '';
  } while (pageToken);
  return summarize(series);
}

async function accessToken(): Promise<string> {
  if (process.env.MONITORING_ACCESS_TOKEN) return process.env.MONITORING_ACCESS_TOKEN;
  const { GoogleAuth } = await import('google-auth-library');
  const token = await new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/monitoring.read'] }).getAccessToken();
  if (!token) throw new Error('no access token from Application Default Credentials');
  return token;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      project: { type: 'string' },
      region: { type: 'string', default: 'europe-west1' },
      service: { type: 'string', default: 'orchestrator' },
      revision: { type: 'string' },
      'bake-seconds': { type: 'string', default: '300' },
      'window-seconds': { type: 'string', default: '300' },
      'max-ratio': { type: 'string', default: '0.02' },
      'min-requests': { type: 'string', default: '20' },
    },
    strict: true,
  });
  if (!values.project || !values.revision) throw new Error('--project and --revision are required');
  const bake = Number(values['bake-seconds']);
  if (bake > 0) {
    console.log(`baking ${bake} s before reading the error rate of ${values.revision}`);
    await new Promise((resolve) => setTimeout(resolve, bake * 1000));
  }
  const counts = await fetchRequestCounts({
    project: values.project,
    region: values.region,
    service: values.service,
    revision: values.revision,
    windowSeconds: Number(values['window-seconds']),
    baseUrl: process.env.MONITORING_BASE_URL ?? 'https://monitoring.googleapis.com',
    accessToken: await accessToken(),
  });
  const verdict = judge(counts, Number(values['max-ratio']), Number(values['min-requests']));
  console.log(`${verdict.ok ? 'ok' : 'FAIL'} error rate of ${values.revision}: ${verdict.reason}`);
  process.exitCode = verdict.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    console.error(`error-rate: ${err.message}`);
    process.exitCode = 2;
  });
}
