import type { CreateInvalidationCommandInput } from '@aws-sdk/client-cloudfront';

/**
 * Pure: the invalidation of a switch: the entry points that changed (never the assets, whose
 * names change with their content), plus the folder path a CDN serves an index.html under.
 */
export function invalidationInput(distributionId: string, paths: string[], releaseId: string, now: number): CreateInvalidationCommandInput {
  const items = [...new Set(paths.flatMap((p) => (p.endsWith('/index.html') ? [p, p.slice(0, -'index.html'.length)] : [p])))].map((p) =>
    encodeURI(p),
  );
  return {
    DistributionId: distributionId,
    InvalidationBatch: { CallerReference: `nx-deploy-${releaseId}-${now}`, Paths: { Quantity: items.length, Items: items } },
  };
}

/** Sends a CloudFront invalidation (the SDK is loaded only for a site that asks for one); a refusal is a warning. */
export function cloudfrontInvalidator(
  distributionId: string,
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined,
  log: (line: string) => void,
): (paths: string[], releaseId: string) => Promise<void> {
  return async (paths, releaseId) => {
    const { CloudFrontClient, CreateInvalidationCommand } = await import('@aws-sdk/client-cloudfront');
    const client = new CloudFrontClient({ region: 'us-east-1', credentials, maxAttempts: 4 });
    try {
      const input = invalidationInput(distributionId, paths, releaseId, Date.now());
      const res = await client.send(new CreateInvalidationCommand(input));
      log(`CloudFront ${distributionId}: invalidation ${res.Invalidation?.Id ?? '?'} of ${input.InvalidationBatch!.Paths!.Items!.join(', ')}`);
    } catch (err) {
      // The switch happened; entry points are served with no-cache, so edges revalidate them anyway.
      log(
        `warning: CloudFront distribution ${distributionId} refused the invalidation of the entry points (${(err as Error).message}); edges may serve the old ones until they revalidate`,
      );
    } finally {
      client.destroy();
    }
  };
}
