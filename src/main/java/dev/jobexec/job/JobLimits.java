package dev.jobexec.job;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits on what one submission may carry, bound from {@code jobexec.limits.*}. Each one
 * exceeded is answered with a 4xx problem that names it.
 *
 * @param maxRequestSize largest request body; a larger one is answered 413
 * @param maxStdin largest {@code stdin} text
 * @param maxArguments most {@code command} entries, the executable included
 * @param maxArgumentLength longest single argument, in characters
 * @param maxEnvEntries most {@code env} variables
 * @param maxEnvValueLength longest {@code env} value, in characters
 * @param maxLabels most labels
 * @param maxLabelKeyLength longest label key (at most 128)
 * @param maxLabelValueLength longest label value (at most 256)
 * @param maxBatchSize most jobs in one {@code POST /api/v1/jobs/batch}
 */
@ConfigurationProperties("jobexec.limits")
public record JobLimits(@DefaultValue("2MB") DataSize maxRequestSize, @DefaultValue("1MB") DataSize maxStdin,
		@DefaultValue("1024") int maxArguments, @DefaultValue("32768") int maxArgumentLength,
		@DefaultValue("64") int maxEnvEntries, @DefaultValue("8192") int maxEnvValueLength,
		@DefaultValue("32") int maxLabels, @DefaultValue("64") int maxLabelKeyLength,
		@DefaultValue("256") int maxLabelValueLength, @DefaultValue("1000") int maxBatchSize) {

	public JobLimits {
		require(maxRequestSize.toBytes() > 0, "max-request-size must be positive");
		require(maxStdin.toBytes() >= 0 && maxStdin.toBytes() < maxRequestSize.toBytes(),
				"max-stdin must be smaller than max-request-size");
		require(maxArguments >= 1 && maxArgumentLength >= 1, "max-arguments and max-argument-length must be positive");
		require(maxEnvEntries >= 0 && maxEnvValueLength >= 0, "env limits must not be negative");
		require(maxLabels >= 0, "max-labels must not be negative");
		// The store's label columns hold 128 and 256 characters.
		require(maxLabelKeyLength >= 1 && maxLabelKeyLength <= 128, "max-label-key-length must be 1 to 128");
		require(maxLabelValueLength >= 1 && maxLabelValueLength <= 256, "max-label-value-length must be 1 to 256");
		require(maxBatchSize >= 1, "max-batch-size must be positive");
	}

	private static void require(boolean condition, String message) {
		if (!condition) {
			throw new IllegalArgumentException("jobexec.limits." + message);
		}
	}

}
