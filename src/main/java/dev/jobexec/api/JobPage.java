package dev.jobexec.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** One page of a job listing, newest first. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "A page of jobs, newest first; pass `nextCursor` as `cursor` for the next page")
public record JobPage(List<JobView> items,
		@Schema(description = "Cursor of the next page; absent on the last page") String nextCursor) {
}
