/** The console: the key prompt until a key is known, then the view the location hash names. */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from './api.js';
import { BatchDetail, BatchesView } from './batches-view.js';
import { JobView } from './job-view.js';
import { JobsView } from './jobs-view.js';
import { KeyPrompt } from './key-prompt.js';
import { forgetKey, savedKey, saveKey } from './key-store.js';
import { href, parseRoute, type Route } from './route.js';
import { ScheduleDetail, SchedulesView } from './schedules-view.js';
import { SubmitView } from './submit-view.js';

const NAV: { label: string; route: Route; views: Route['view'][] }[] = [
  { label: 'Jobs', route: { view: 'jobs' }, views: ['jobs', 'job'] },
  { label: 'Submit', route: { view: 'submit' }, views: ['submit'] },
  { label: 'Schedules', route: { view: 'schedules' }, views: ['schedules', 'schedule'] },
  { label: 'Batches', route: { view: 'batches' }, views: ['batches', 'batch'] },
];

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => {
      setRoute(parseRoute(location.hash));
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function App() {
  const [key, setKey] = useState(savedKey);
  const [notice, setNotice] = useState<string>();
  const route = useRoute();
  const api = useMemo(
    () =>
      key === undefined
        ? undefined
        : new Api(key, () => {
            forgetKey();
            setNotice('The API refused the key; enter it again.');
            setKey(undefined);
          }),
    [key],
  );

  if (!api) {
    return (
      <KeyPrompt
        {...(notice ? { notice } : {})}
        onKey={(entered) => {
          saveKey(entered);
          setNotice(undefined);
          setKey(entered);
        }}
      />
    );
  }
  return (
    <>
      <header class="top">
        <a class="brand" href={href({ view: 'jobs' })}>
          ddinit
        </a>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <a
              key={item.label}
              href={href(item.route)}
              aria-current={item.views.includes(route.view) ? 'page' : undefined}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <button
          type="button"
          class="link"
          onClick={() => {
            forgetKey();
            setKey(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      <main>{view(api, route)}</main>
    </>
  );
}

function view(api: Api, route: Route) {
  switch (route.view) {
    case 'jobs':
      return <JobsView api={api} status={route.status} />;
    case 'job':
      return <JobView key={route.id} api={api} id={route.id} />;
    case 'submit':
      return <SubmitView api={api} />;
    case 'schedules':
      return <SchedulesView api={api} />;
    case 'schedule':
      return <ScheduleDetail key={route.id} api={api} id={route.id} />;
    case 'batches':
      return <BatchesView api={api} />;
    case 'batch':
      return <BatchDetail key={route.id} api={api} id={route.id} />;
  }
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
