import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  label: string;
  stroke: string;
}

/**
 * A time-series chart (uPlot) that is created once and fed new data in place, so a chart updated every second by
 * the stream costs a redraw, not a rebuild.
 * @param data [times in seconds, ...one array of values per series]
 */
export function Chart({ title, series, data, height = 180 }: { title: string; series: Series[]; data: number[][]; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    if (!host.current) return;
    plot.current = new uPlot(
      {
        title,
        width: host.current.clientWidth || 600,
        height,
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2 }))],
        axes: [{}, { size: 60 }],
      },
      data as uPlot.AlignedData,
      host.current,
    );
    const resize = () => plot.current?.setSize({ width: host.current?.clientWidth || 600, height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current?.destroy();
      plot.current = null;
    };
    // Built once per set of series; data changes go through setData below.
  }, [title, series.map((s) => s.label).join()]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return <div ref={host} class="chart" />;
}
