import { Component, type ErrorInfo, type ReactNode } from "react";

interface Props {
  children: ReactNode;
}

interface State {
  error: Error | null;
}

/**
 * A bug in one page must not blank the whole application: the header and navigation stay,
 * and the page says what happened. The layout keys this boundary by path, so navigating
 * elsewhere recovers.
 */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("page crashed", error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="alert alert--error" role="alert">
        <h1 id="page-heading" tabIndex={-1}>
          This page failed
        </h1>
        <p>
          Something went wrong while showing this page: <code>{error.message}</code>. Other pages still work; reload
          this one to try again.
        </p>
        <button type="button" className="button" onClick={() => window.location.reload()}>
          Reload the page
        </button>
      </div>
    );
  }
}
