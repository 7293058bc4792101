import { z } from 'zod';
import type { GridFolders } from '../grids/gridFolders.js';
import { gridSummary, gridView } from '../grids/gridView.js';
import { route, type RouteSpec } from './route.js';
import { gridNameParams, gridSummarySchema, gridViewSchema } from './schemas.js';

/** The grids of `panda grid` the service shows (its `grids` option, and `<data dir>/grids/<name>/`). */
export function gridRoutes(grids: GridFolders): RouteSpec<any, any, any>[] {
  return [
    route({
      method: 'get',
      path: '/api/grids',
      operationId: 'listGrids',
      summary: 'grid folders written by `panda grid` that the service shows',
      tag: 'grids',
      response: { description: 'the grids, by name', schema: z.object({ grids: z.array(gridSummarySchema) }) },
      handler: () => ({ grids: grids.list().map(gridSummary) }),
    }),
    route({
      method: 'get',
      path: '/api/grids/:name',
      operationId: 'getGrid',
      summary: "one grid: baselines per target, source × target tables and gains per transfer method, the PANDA metric between the tasks",
      tag: 'grids',
      params: gridNameParams,
      response: { description: 'the grid', schema: gridViewSchema },
      errors: { 404: 'no such grid' },
      handler: ({ params }) => gridView(grids.get(params.name)),
    }),
  ];
}
